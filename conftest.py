"""Loaded first by pytest, for tests and doctests alike."""

import os
import tempfile

# Tests never touch the real pseudonym keys: they get a key folder of their own, which
# kernels started by the tests inherit through the environment.
os.environ["COORDINATION_KEY_DIR"] = tempfile.mkdtemp(prefix="cip-test-keys-")
