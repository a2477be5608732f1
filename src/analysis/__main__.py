"""`python -m analysis` runs the `coordination` command."""

from analysis.cli import main

raise SystemExit(main())
