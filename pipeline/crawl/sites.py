"""Site files: one YAML file per news site under rules/sites/.

A site file says where to discover articles (feeds, sitemaps, listing pages),
which URLs are articles, how politely to fetch, and optionally how to read
pages the generic cleaner gets wrong. `load_sites` validates every file; an
invalid file becomes a `SiteError` naming the file and key, and the other
sites still load.
"""
from __future__ import annotations

import codecs
import re
import string
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline.lang import places, siteplaces
from pipeline.lang.vntext import fix_tone_placement
from pipeline.paths import SITES_DIR

DEFAULT_SITES_DIR = SITES_DIR
DEFAULT_DELAY = 2.0
DEFAULT_MAX_PAGES = 5
DEFAULT_DOC_ID = "{site}-{slug}"
DOC_ID_FIELDS = {"site", "slug", "hash"}
MAX_TEMPLATE = 100        # characters of a doc_id template (ids are cut at discover.MAX_ID)
MAX_DELAY = 300.0         # seconds: more would stall a nightly run on one site
MAX_PAGES = 1000          # listing pages per start URL
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
SELECTOR_KEYS = {"title", "date", "body"}

class SiteError(Exception):
    """A problem in one site file, with the file and the key at fault."""

    def __init__(self, file: str | Path, key: str, message: str):
        super().__init__(f"{file}: {key}: {message}")
        self.file, self.key, self.message = str(file), key, message


@dataclass(frozen=True)
class Site:
    name: str
    province: str | None
    domains: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    next_page: str | None = None
    max_pages: int = DEFAULT_MAX_PAGES
    article_pattern: str | None = None
    delay: float = DEFAULT_DELAY
    selectors: dict = field(default_factory=dict, hash=False)
    encoding: str | None = None
    verified: bool = False
    doc_id: str = DEFAULT_DOC_ID
    path: str = ""

    def is_article(self, url: str) -> bool:
        return self.article_pattern is None or re.search(self.article_pattern, url) is not None

    def owns(self, url: str) -> bool:
        """True if the URL is on one of the site's domains (a port, if given, must match)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for domain in self.domains:
            if ":" in domain:
                if parts.netloc.lower() == domain:
                    return True
            elif host == domain or host.endswith("." + domain):
                return True
        return False


def province_key(name: str) -> str:
    return fix_tone_placement(unicodedata.normalize("NFC", name)).casefold()


_PROVINCE_KEYS = {province_key(p): p for p in places.PROVINCES}


def _need(cond: bool, file, key: str, message: str) -> None:
    if not cond:
        raise SiteError(file, key, message)


def _url_list(data: dict, key: str, file) -> tuple[str, ...]:
    value = data.get(key) or []
    _need(isinstance(value, list), file, key, "must be a list of URLs")
    for i, url in enumerate(value):
        ok = isinstance(url, str) and urlsplit(url).scheme in ("http", "https")
        _need(ok, file, f"{key}[{i}]", f"not an http(s) URL: {url!r}")
    return tuple(value)


def _province(data: dict, file) -> str | None:
    value = data.get("province", "missing")
    _need(value != "missing", file, "province", "required (null for national outlets)")
    if value is None:
        return None
    _need(isinstance(value, str), file, "province", "must be a province name or null")
    canonical = _PROVINCE_KEYS.get(province_key(value))
    _need(canonical is not None, file, "province", f"{value!r} is not one of the 63 provinces")
    return canonical


def _domains(data: dict, file) -> tuple[str, ...]:
    value = data.get("domains")
    ok = isinstance(value, list) and value and all(isinstance(d, str) and d for d in value)
    _need(bool(ok), file, "domains", "required: a non-empty list of host names")
    return tuple(d.lower().strip(".") for d in value)


def _pattern(data: dict, file) -> str | None:
    value = data.get("article_pattern")
    if value is None:
        return None
    _need(isinstance(value, str), file, "article_pattern", "must be a regex string")
    try:
        re.compile(value)
    except re.error as err:
        raise SiteError(file, "article_pattern", f"bad regex: {err}") from None
    return value


def _number(data: dict, key: str, default, file, kind=float, most: float = MAX_DELAY):
    value = data.get(key, default)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= most
    _need(ok, file, key, f"must be a number >= 0 and <= {most:g}")
    return kind(value)


def _doc_id(data: dict, file) -> str:
    """A template of {site}, {slug}, {hash} and literal text: no format specs
    ("{slug:>50000000}" would make 50 MB ids) and no conversions."""
    value = _optional_str(data, "doc_id", file) or DEFAULT_DOC_ID
    _need(len(value) <= MAX_TEMPLATE, file, "doc_id", f"longer than {MAX_TEMPLATE} characters")
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as err:
        raise SiteError(file, "doc_id", f"bad template: {err}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        _need(name in DOC_ID_FIELDS, file, "doc_id", f"unknown field {{{name}}} (use site, slug, hash)")
        _need(not spec and not conversion, file, "doc_id",
              f"{{{name}}} takes no format spec or conversion")
    _need("{slug}" in value or "{hash}" in value, file, "doc_id", "must contain {slug} or {hash}")
    return value


def _selectors(data: dict, file) -> dict:
    value = data.get("selectors") or {}
    _need(isinstance(value, dict), file, "selectors", "must map title/date/body to CSS selectors")
    for key, css in value.items():
        _need(key in SELECTOR_KEYS, file, f"selectors.{key}", "unknown (use title, date, body)")
        _need(isinstance(css, str) and css.strip(), file, f"selectors.{key}", "must be a CSS selector")
    _need(not value or "body" in value, file, "selectors.body", "required when selectors are given")
    return dict(value)


def _encoding(data: dict, file) -> str | None:
    value = data.get("encoding")
    if value is None:
        return None
    try:
        return codecs.lookup(str(value)).name
    except LookupError:
        raise SiteError(file, "encoding", f"unknown encoding {value!r}") from None


def _optional_str(data: dict, key: str, file) -> str | None:
    value = data.get(key)
    _need(value is None or isinstance(value, str), file, key, "must be a string")
    return value


KNOWN_KEYS = {
    "name", "province", "domains", "feeds", "sitemaps", "start_urls", "next_page",
    "max_pages", "article_pattern", "delay", "selectors", "encoding", "verified",
    "doc_id", "notes", "url",
}


def site_from_dict(data, file) -> Site:
    _need(isinstance(data, dict), file, "(file)", "must be a YAML mapping")
    for key in data:
        _need(key in KNOWN_KEYS, file, str(key), "unknown key")
    name = data.get("name")
    _need(isinstance(name, str) and bool(NAME_RE.match(name)), file, "name",
          "required: lower-case letters, digits, - or _ (at most 50)")
    site = Site(
        name=name, province=_province(data, file), domains=_domains(data, file),
        feeds=_url_list(data, "feeds", file), sitemaps=_url_list(data, "sitemaps", file),
        start_urls=_url_list(data, "start_urls", file),
        next_page=_optional_str(data, "next_page", file),
        max_pages=_number(data, "max_pages", DEFAULT_MAX_PAGES, file, int, MAX_PAGES),
        article_pattern=_pattern(data, file), delay=_number(data, "delay", DEFAULT_DELAY, file),
        selectors=_selectors(data, file), encoding=_encoding(data, file),
        verified=bool(data.get("verified", False)),
        doc_id=_doc_id(data, file), path=str(file),
    )
    _check_sources(site, file)
    return site


def _check_sources(site: Site, file) -> None:
    _need(bool(site.feeds or site.sitemaps or site.start_urls), file, "feeds",
          "give at least one of feeds, sitemaps, start_urls")
    for key in ("feeds", "sitemaps", "start_urls"):
        for i, url in enumerate(getattr(site, key)):
            _need(site.owns(url), file, f"{key}[{i}]", f"{url} is not on the site's domains")


def load_site(path: str | Path) -> Site:
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=siteplaces.yaml_loader())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise SiteError(path, "(file)", f"not valid YAML: {err}") from None
    return site_from_dict(data, path)


def load_sites(directory: str | Path = DEFAULT_SITES_DIR,
               names: list[str] | tuple[str, ...] = ()) -> tuple[list[Site], list[SiteError]]:
    """All valid sites of a folder (or the named ones) and the errors of the others."""
    sites, errors = [], []
    for path in sorted(Path(directory).glob("*.y*ml")):
        try:
            sites.append(load_site(path))
        except SiteError as err:
            errors.append(err)
    _flag_duplicates(sites, errors)
    if names:
        unknown = set(names) - {s.name for s in sites}
        errors += [SiteError(directory, name, "no valid site file with this name") for name in sorted(unknown)]
        sites = [s for s in sites if s.name in names]
    return sites, errors


def _flag_duplicates(sites: list[Site], errors: list[SiteError]) -> None:
    seen: dict[str, Site] = {}
    for site in list(sites):
        if site.name in seen:
            errors.append(SiteError(site.path, "name", f"{site.name!r} also used by {seen[site.name].path}"))
            sites.remove(site)
        seen.setdefault(site.name, site)
