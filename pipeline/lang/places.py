"""Places: the 63 provinces (naming before 1 July 2025), localities named in
text, the province a district or commune lies in and the province after the
2025 merger, both from the gazetteer underthesea ships (see `gazetteer`)."""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pipeline import datacache
from pipeline.lang import vntext
from pipeline.lang.vntext import normalize

PROVINCES = [
    "An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh",
    "Bến Tre", "Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau",
    "Cần Thơ", "Cao Bằng", "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai",
    "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương",
    "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang",
    "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định",
    "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình",
    "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La",
    "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế",
    "Tiền Giang", "Hồ Chí Minh", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc",
    "Yên Bái",
]
CENTRAL_CITIES = {"Hà Nội", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Hồ Chí Minh"}
ALIASES = {"TP.HCM": "Hồ Chí Minh", "TP HCM": "Hồ Chí Minh", "TPHCM": "Hồ Chí Minh", "HCM": "Hồ Chí Minh",
           "Sài Gòn": "Hồ Chí Minh", "Huế": "Thừa Thiên Huế", "Đắc Lắc": "Đắk Lắk",
           "Đắk Nông": "Đắk Nông", "Bà Rịa-Vũng Tàu": "Bà Rịa - Vũng Tàu"}
UNIT_WORDS = r"(?:tỉnh|thành phố|TP\.?|huyện|quận|thị xã|xã|phường|thị trấn)"
NAMED_UNIT = re.compile(
    rf"(?<!\w)(?P<unit>(?i:{UNIT_WORDS}))\s+(?P<name>(?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈÍÌÓÒÚÙÝ][\w]*)(?:\s+[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈÍÌÓÒÚÙÝ\d][\w]*){{0,3}})"
)
_NAMES = sorted(PROVINCES + list(ALIASES), key=len, reverse=True)
PROVINCE_NAME = re.compile(r"(?<!\w)(" + "|".join(re.escape(normalize(n)) for n in _NAMES) + r")(?!\w)")


def canonical_province(name: str | None) -> str | None:
    if not name:
        return None
    name = normalize(name).strip()
    return ALIASES.get(name, name) if (name in PROVINCES or name in ALIASES) else None


def province_label(province: str) -> str:
    """How a province is written as a locality: "tỉnh Hải Dương"."""
    return ("thành phố " if province in CENTRAL_CITIES else "tỉnh ") + province


def find_province(text: str) -> str | None:
    match = PROVINCE_NAME.search(text)
    return canonical_province(match.group(1)) if match else None


STOP_NAME_WORDS = {"Đảng", "Ủy", "UBND", "HĐND", "Tỉnh", "Ban", "Thường", "Sở", "Trong", "Đến", "Về", "Có", "Theo"}


def trim_name(name: str) -> str:
    words = []
    for word in name.split():
        if word in STOP_NAME_WORDS:
            break
        words.append(word)
    return " ".join(words)


def document_place(title: str, text: str, site_province: str | None = None,
                   published=None) -> tuple[str | None, str | None]:
    """(locality, province) a document is about: the title's place, else the
    lead's, else the site's province when the text reads as local. National
    content on a provincial site, and a province merged in 2025 written about
    after the merger, have province None (FACTS.md, Places)."""
    for source in (title or "", text[:600]):
        found = spots(source)
        if found:
            first = found[0]
            if first.kind != "place":
                return first.locality, None
            hint = find_province(source) or site_province
            province = province_of(first.locality, hint) or unresolved(first.locality, hint)
            return first.locality, None if after_merger(province, published, source) else province
    if site_province and not is_local(text, site_province):  # national content on a provincial site
        return None, None
    return None, None if after_merger(site_province, published, "") else site_province


def is_local(text: str, province: str) -> bool:
    """Whether a text names its site's province or one of its districts (with
    or without "huyện"), or speaks of "toàn tỉnh", "trên địa bàn" (words of a
    provincial report). A provincial site's text that does none of these is
    national content: it reports a ministry, a decree, the whole country."""
    if LOCAL_WORDS.search(text) or district_names(province).search(text):
        return True
    return any(s.kind == "place" and province_of(s.locality, province) == province for s in spots(text))


@lru_cache(maxsize=64)
def district_names(province: str) -> re.Pattern:
    """The bare names of a province's districts ("Nam Sách"), as a pattern."""
    names = {key.split(" ", 1)[1] if not key.startswith(("thành phố", "thị xã")) else key.split(" ", 2)[2]
             for key, found in gazetteer().units.items()
             if found == {province} and key.startswith(DISTRICT_UNITS)}
    names = sorted((n for n in names if " " in n and not n[-1].isdigit()), key=len, reverse=True)
    return re.compile(r"(?i)(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)" if names else r"(?!)")


DISTRICT_UNITS = ("huyện ", "quận ", "thị xã ", "thành phố ")


@lru_cache(maxsize=128)
def province_2025(province: str | None) -> str | None:
    """The province after the July 2025 merger (63 -> 34), from the gazetteer."""
    return gazetteer().after_2025.get(province) if province else None


# --- The gazetteer -----------------------------------------------------------
# Source: the address data that underthesea (9.5.0, pinned in pyproject.toml)
# ships at underthesea/address/data/mapping.json, built from the
# vietnamadminunits package 1.0.4 ("effective_date": "2025-07-01"): every
# ward and commune of the 63 provinces with its district, as they stood just
# before the 1 July 2025 reorganisation, and the province each went to.
# Units abolished by earlier mergers (2019-2024) are not in it.
# Read from the installed package without importing underthesea (slow), once.

UNIT_PREFIXES = {"tỉnh": "tỉnh", "thành phố": "thành phố", "tp.": "thành phố", "tp": "thành phố",
                 "huyện": "huyện", "quận": "quận", "thị xã": "thị xã", "xã": "xã",
                 "phường": "phường", "thị trấn": "thị trấn"}
OLD_NAMES = {"Huế": "Thừa Thiên Huế"}  # Huế became a central city in January 2025


class Gazetteer(NamedTuple):
    units: dict        # "huyện cam lộ" -> frozenset of provinces (63 naming)
    after_2025: dict   # old province -> the province it belongs to from 1 July 2025
    source: str        # the file and its version, for messages


def gazetteer_file() -> Path:
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("underthesea is not installed: places need its address data")
    return Path(next(iter(spec.submodule_search_locations))) / "address" / "data" / "mapping.json"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, read from the cache when underthesea's file and the
    code that reads it are unchanged (0.11 s to build, 4 ms to read: every
    extract's start, issue 11)."""
    path = gazetteer_file()
    key = gazetteer_key(path)
    cached = datacache.read("gazetteer", key)
    if _is_gazetteer(cached):
        return Gazetteer(*cached)
    built = build_gazetteer(path)
    datacache.write("gazetteer", key, tuple(built))
    return built


def gazetteer_key(path: Path) -> str:
    stat = path.stat()
    code = datacache.code_of(sys.modules[__name__], vntext)
    return datacache.key_of(str(path), f"{stat.st_size}:{stat.st_mtime_ns}", *code)


def _is_gazetteer(data) -> bool:
    return (isinstance(data, tuple) and len(data) == 3 and isinstance(data[0], dict)
            and isinstance(data[1], dict) and isinstance(data[2], str)
            and all(isinstance(found, frozenset) for found in data[0].values()))


def build_gazetteer(path: Path) -> Gazetteer:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows, meta = data["ward_mapping"], data["metadata"]
    except (OSError, ValueError, KeyError) as error:
        raise RuntimeError(f"{path}: cannot read the address data: {error}") from None
    units, after = {}, {}
    # 10,602 rows name 63 provinces and ~8,300 units: each name read once
    # (a third of `vnfacts extract`'s gazetteer start-up, issue 11)
    province_of_name, key_of_name = lru_cache(None)(old_province), lru_cache(None)(unit_key)
    province_after = lru_cache(None)(new_province)
    for row in rows:
        province = province_of_name(row["old_province"])
        after[province] = province_after(row.get("new_province") or "") or None
        for name in (row.get("old_district"), row.get("old_ward")):
            key = key_of_name(name or "")
            if key:
                units.setdefault(key, set()).add(province)
    frozen = {key: frozenset(found) for key, found in units.items()}
    return Gazetteer(frozen, after, f"{path} ({meta.get('source')} {meta.get('version')}, {meta.get('effective_date')})")


def old_province(full_name: str) -> str:
    """ "Tỉnh Quảng Trị" -> "Quảng Trị"; "Thành phố Huế" -> "Thừa Thiên Huế"."""
    short = re.sub(r"^(?:Tỉnh|Thành phố)\s+", "", normalize(full_name).strip())
    return OLD_NAMES.get(short, short)


def new_province(full_name: str) -> str:
    """ "Thành phố Huế" -> "Huế" (the 34-province naming keeps it)."""
    return re.sub(r"^(?:Tỉnh|Thành phố)\s+", "", normalize(full_name).strip())


def unit_key(name: str) -> str | None:
    """ "Huyện Cam Lộ", "huyện  Cam Lộ", "TP. Vinh" -> "huyện cam lộ", "thành phố vinh"."""
    words = normalize(name).strip().lower()
    for prefix in sorted(UNIT_PREFIXES, key=len, reverse=True):
        if words.startswith(prefix) and words[len(prefix):len(prefix) + 1] in (" ", ""):
            rest = " ".join(words[len(prefix):].split())
            return f"{UNIT_PREFIXES[prefix]} {rest}" if rest else None
    return None


def candidates(locality: str) -> frozenset:
    """The provinces a unit of that name lies in: its longest known prefix
    ("huyện Cam Lộ tỉnh" -> {"Quảng Trị"}); empty if unknown."""
    key = unit_key(locality) or ""
    words = key.split()
    for end in range(len(words), 1, -1):
        found = gazetteer().units.get(" ".join(words[:end]))
        if found:
            return found
    return frozenset()


def province_of(locality: str | None, hint: str | None = None) -> str | None:
    """The province a locality lies in: one named in it ("thành phố Bạc
    Liêu"), else the gazetteer's. A name found in several provinces ("huyện
    Châu Thành") gives the hint (the document's or site's province) when it
    is one of them, else None: never a guess."""
    if not locality:
        return None
    found = candidates(locality)  # first: "xã Thái Bình" is not in Thái Bình
    if not found:
        return find_province(locality)
    if len(found) == 1:
        return next(iter(found))
    return hint if hint in found else None


# --- Where a figure is ---------------------------------------------------------
NATIONAL = re.compile(r"(?i)(?<!\w)(?:trên )?(?:cả nước|toàn quốc|toàn Đảng(?! bộ)|63 tỉnh(?:, thành(?: phố)?)?)(?!\w)")
SEVERAL = re.compile(r"(?i)(?<!\w)(?:hai|ba|bốn|năm|sáu|bảy|tám|\d{1,2}) tỉnh(?:, thành(?: phố)?)?(?!\w)")
# "tỉnh Khánh Hòa mới sau sáp nhập có", "thành phố Cần Thơ mở rộng sẽ có"; not
# the adverb ("Ninh Thuận mới đây", "mới thí điểm") nor the verb ("mở rộng mô hình")
NEW_UNIT = re.compile(r"\s*(?:\(mới\)|(?:mới|mở rộng)(?=\s*(?:[,.;:)]|sau (?:khi )?sáp nhập|sẽ|có|gồm|với)))")


class Spot(NamedTuple):
    start: int
    end: int
    locality: str
    kind: str  # place, national (no province), several (provinces), merged (a 2025 province)


def spots(text: str) -> list[Spot]:
    """Every place-like mention in `text`, in order: named units, bare
    province names, national and multi-province phrases."""
    found = []
    for match in NAMED_UNIT.finditer(text):
        name = trim_name(match.group("name"))
        if name and match.group("unit").lower() not in ("xã", "phường", "thị trấn"):
            end = match.start("name") + len(name)
            found.append(Spot(match.start(), end, unit_locality(match.group("unit"), name), "place"))
    covered = [(s.start, s.end) for s in found]
    for match in PROVINCE_NAME.finditer(text):
        if not any(a <= match.start() < b for a, b in covered):
            label = province_label(canonical_province(match.group(1)))  # compares with "tỉnh X"
            found.append(Spot(match.start(), match.end(), label, "place"))
    for pattern, kind in ((NATIONAL, "national"), (SEVERAL, "several")):
        for m in pattern.finditer(text):  # FACTS.md: a national figure's locality is "cả nước"
            found.append(Spot(m.start(), m.end(), "cả nước" if kind == "national" else m.group(0).lower(), kind))
    return sorted((merged(s, text) for s in found), key=lambda s: s.start)


def unit_locality(unit: str, name: str) -> str:
    """ "TP. Vinh" -> "thành phố Vinh"; "TP HCM" -> "thành phố Hồ Chí Minh" (as the scene writes it)."""
    unit = UNIT_PREFIXES.get(unit.lower(), unit.lower())
    if name in ALIASES and canonical_province(name) in CENTRAL_CITIES:
        return province_label(canonical_province(name))
    return f"{unit} {name}"


def merged(spot: Spot, text: str) -> Spot:
    """ "tỉnh Khánh Hòa mới", "thành phố Cần Thơ mở rộng": the province formed in 2025."""
    after = NEW_UNIT.match(text, spot.end)
    if spot.kind == "place" and after and in_2025_merger(find_province(spot.locality)):
        return spot._replace(end=after.end(), locality=text[spot.start:after.end()], kind="merged")
    return spot


@lru_cache(maxsize=128)
def in_2025_merger(province: str | None) -> bool:
    """Whether `province` was merged with another on 1 July 2025."""
    if not province:
        return False
    after = gazetteer().after_2025
    return sum(1 for new in after.values() if new == after.get(province)) > 1


def locate(before: str, scene: dict) -> dict:
    """Locality, province and 2025 province of a figure; `before` is its
    sentence up to the number, `scene` the document's place (locality,
    province) and the site's province as the hint for ambiguous names."""
    mentions = spots(before)
    if not mentions:
        locality, province = scene.get("locality"), scene.get("province")
        if locality is None and province:  # the text names no place: the site's province
            locality = province_label(province)
    else:
        locality, kind = mentions[-1].locality, mentions[-1].kind
        hint = scene.get("province") or scene.get("site_province")
        province = (province_of(locality, hint) or unresolved(locality, hint)) if kind == "place" else None
    if after_merger(province, scene.get("published"), before):
        province = None
    return {"locality": locality, "province": province, "province_2025": province_2025(province)}


def unresolved(locality: str, hint: str | None) -> str | None:
    """A unit the gazetteer does not know (abolished before 2025, misspelt)
    is taken to be in the document's province; an ambiguous one is not."""
    return hint if not candidates(locality) else None


BEFORE_MERGER = re.compile(r"(?i)(?<!\w)(?:trước (?:khi |thời điểm )?(?:sáp nhập|hợp nhất)|cũ)(?!\w)")
LOCAL_WORDS = re.compile(r"(?i)(?<!\w)(?:toàn tỉnh|tỉnh ta|trong tỉnh|toàn thành phố|toàn huyện|toàn thị xã"
                         r"|trên địa bàn)(?!\w)")
MERGER_DAY = "2025-07-01"


def after_merger(province: str | None, published, before: str) -> bool:
    """A figure published after 1 July 2025 about a province merged that day
    is about the new province (province null), unless the text says "before
    the merger" or "the former"."""
    return (bool(published) and str(published)[:10] >= MERGER_DAY and in_2025_merger(province)
            and not BEFORE_MERGER.search(before))
