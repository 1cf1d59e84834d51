"""The province of a registered site (rules/sites/*.yaml), for documents
that name no place of their own: read from the site files once, then from
the cache (datacache) while their bytes and the reading code are unchanged."""
from __future__ import annotations

import contextlib
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pipeline import datacache
from pipeline.lang import places
from pipeline.lang.places import canonical_province
from pipeline.paths import SITES_DIR


@lru_cache(maxsize=4)
def provinces_by_domain(directory: str = str(SITES_DIR)) -> dict[str, str]:
    """host -> province of every site file (the crawler validates them; here a
    file that does not parse simply gives no province). Cached under the files'
    bytes: every `vnfacts ingest` asks, and parsing YAML took ~25 ms of its start."""
    files = site_files(directory)
    code = datacache.code_of(sys.modules[__name__], places)
    key = datacache.key_of(directory, *(part for name, data in files for part in (name, data)), *code)
    cached = datacache.read("site-provinces", key)
    if isinstance(cached, dict) and all(isinstance(v, str) for v in cached.values()):
        return cached
    found = read_site_provinces(files)
    datacache.write("site-provinces", key, found)
    return found


def site_files(directory: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of each site file that can be read."""
    files = []
    for path in sorted(Path(directory).glob("*.yaml")):
        with contextlib.suppress(OSError):
            files.append((path.name, path.read_bytes()))
    return files


def yaml_loader():
    """PyYAML's safe loader, libyaml's parser when PyYAML has it (imported on first use)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_site_provinces(files: list[tuple[str, bytes]]) -> dict[str, str]:
    import yaml

    loader, found = yaml_loader(), {}
    for _, raw in files:
        try:
            data = yaml.load(raw.decode("utf-8"), Loader=loader) or {}
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        province = canonical_province(data.get("province")) if isinstance(data, dict) else None
        for domain in (data.get("domains") or []) if province else []:
            if isinstance(domain, str):
                found[domain.lower().strip(".")] = province
    return found


def province_for(url_or_host: str | None) -> str | None:
    """The province of a registered site, from a URL or host name."""
    if not url_or_host:
        return None
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host
    host = (host or "").lower().removeprefix("www.")
    return provinces_by_domain().get(host)
