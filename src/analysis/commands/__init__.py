"""Small command-line commands that have no module of their own."""
