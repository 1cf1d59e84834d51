"""Plain data kept between runs in CACHE_DIR (marshal: data only, never
code), under a key that names everything the data was built from.

A missing, damaged or foreign file reads as None and the caller builds
the data as usual; a cache that cannot be written is only a slower next
start. Safe to delete at any time.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path

from pipeline.paths import CACHE_DIR


def key_of(*parts: bytes | str) -> str:
    """A short hash of what the data depends on (and of the Python build:
    marshal's format is per version)."""
    digest = hashlib.sha1(sys.version.encode())
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def code_of(*modules) -> list[bytes]:
    """The source of the modules that build some data: part of its key, so
    that a change to the code builds it anew."""
    return [Path(module.__file__).read_bytes() for module in modules]


def cache_path(name: str, key: str) -> Path:
    return CACHE_DIR / f"{name}-{key}.marshal"


def read(name: str, key: str):
    """The data stored under (name, key), or None."""
    try:
        return marshal.loads(cache_path(name, key).read_bytes())
    except Exception:  # noqa: BLE001 - missing, unreadable, truncated: build it again
        return None


def write(name: str, key: str, data) -> bool:
    """Store data atomically (a reader sees the old file or the new one);
    earlier versions of the same name are removed. False if it could not."""
    path = cache_path(name, key)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(marshal.dumps(data))
        os.replace(temporary, path)
    except (OSError, ValueError):  # a read-only home, unmarshallable data: no cache
        try:
            temporary.unlink(missing_ok=True)
        except OSError:  # its folder could not be made
            pass
        return False
    for old in path.parent.glob(f"{name}-*.marshal"):
        if old != path:
            old.unlink(missing_ok=True)
    return True
