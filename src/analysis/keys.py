"""Audiences and pseudonym keys: the two audiences' names and each study's secret key, standard library only.

:mod:`analysis.disclosure` re-exports every name here; the batch runner imports this module
so that a run with nothing to render starts without pandas.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from pathlib import Path

from analysis import paths

__all__ = ["AUDIENCES", "KEY_FILE_ENV", "key_file", "read_key", "key_fingerprint"]

#: Who pages are made for (docs/data.md, "Audiences and disclosure").
AUDIENCES = ("stakeholder", "internal")
_KEY_BYTES = 32

#: Environment variable naming the key file to use instead of ``<key dir>/<study slug>.key``:
#: the batch runner sets it in its workers when a run's outputs are named with ``--name``.
KEY_FILE_ENV = "COORDINATION_KEY_FILE"


def key_file(slug: str, *, key_dir: str | os.PathLike | None = None) -> Path:
    """Where the pseudonym key of a study (or a run's outputs name) ``slug`` is kept.

    ``<key_dir>/<slug>.key``, ``key_dir`` defaulting to :data:`analysis.paths.KEYS_DIR`.

    Raises
    ------
    ValueError
        If the key directory is inside ``outputs/`` (keys must never be published).

    Examples
    --------
    >>> key_file("my study", key_dir="/keys").as_posix()
    '/keys/my_study.key'
    """
    directory = Path(key_dir) if key_dir is not None else Path(paths.KEYS_DIR)
    directory = directory.resolve()
    outputs = Path(paths.OUTPUTS_DIR).resolve()
    if directory == outputs or outputs in directory.parents:
        raise ValueError(f"the pseudonym key directory {directory} must not be inside {outputs}")
    return directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', str(slug)) or 'study'}.key"


def read_key(path: str | os.PathLike, *, create: bool = True) -> bytes:
    """The key in ``path``; with ``create``, a new random key is written there first if there is none.

    A new key is 32 bytes from :func:`secrets.token_bytes`, written with mode 0600 and
    hard-linked into place, so two processes creating it at once end up with the same key.

    Raises
    ------
    FileNotFoundError
        When there is no key and ``create`` is false.
    ValueError
        When the file is damaged (fewer than 16 bytes), or cannot be read (with why).
    """
    path = Path(path)
    if create and not path.exists():
        directory = path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.stem}.", suffix=".tmp")  # mode 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_KEY_BYTES))
            try:
                os.link(tmp, path)  # fails if another process created it first: use theirs
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ValueError(f"the pseudonym key file {path} cannot be read ({why})") from None
    if len(key) < 16:
        raise ValueError(f"the pseudonym key file {path} is damaged (fewer than 16 bytes); "
                         "restore it from a backup, or delete it to start a new mapping")
    return key


def key_fingerprint(key: bytes | str) -> str:
    """A fingerprint of a key that says nothing of the key: 16 hex digits of SHA-256 over a label and the key.

    Two runs whose fingerprints match used the same pseudonyms; the runner keeps it among a
    page's hashes, so a page made with another key is never taken as up to date.

    Examples
    --------
    >>> a, b = key_fingerprint(b"k" * 32), key_fingerprint(b"j" * 32)
    >>> a == key_fingerprint(b"k" * 32), a == b
    (True, False)
    >>> len(key_fingerprint(b"k" * 32))
    16
    """
    return hashlib.sha256(b"coordination pseudonym key fingerprint\x00" + _as_key(key)).hexdigest()[:16]


def _as_key(key) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise ValueError("key must be non-empty bytes or str")
    return bytes(key)
