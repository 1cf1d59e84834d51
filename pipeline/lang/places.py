"""Places: the 63 provinces (naming before 1 July 2025), localities named in
text, and the province after the 2025 merger (underthesea's mapping)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline.lang.vntext import normalize
from pipeline.paths import SITES_DIR

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
ALIASES = {"TP.HCM": "Hồ Chí Minh", "TP HCM": "Hồ Chí Minh", "TPHCM": "Hồ Chí Minh",
           "Sài Gòn": "Hồ Chí Minh", "Huế": "Thừa Thiên Huế", "Đắc Lắc": "Đắk Lắk",
           "Đắk Nông": "Đắk Nông", "Bà Rịa-Vũng Tàu": "Bà Rịa - Vũng Tàu"}
UNIT_WORDS = r"(?:tỉnh|thành phố|TP\.?|huyện|quận|thị xã|xã|phường|thị trấn)"
NAMED_UNIT = re.compile(
    rf"(?<!\w)(?P<unit>(?i:{UNIT_WORDS}))\s+(?P<name>(?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈÍÌÓÒÚÙÝ][\w]*)(?:\s+[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈÍÌÓÒÚÙÝ\d][\w]*){{0,3}})"
)
UNIT_LEVEL = {"tỉnh": "province", "thành phố": "district", "tp": "district", "tp.": "district",
              "huyện": "district", "quận": "district", "thị xã": "district",
              "xã": "commune", "phường": "commune", "thị trấn": "commune"}
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


def named_places(text: str) -> list[tuple[int, str, str]]:
    """(offset, locality as written, level) of "huyện X", "thành phố Y"..."""
    places = []
    for match in NAMED_UNIT.finditer(text):
        unit = match.group("unit")
        name = trim_name(match.group("name"))
        if not name or unit.lower() in ("xã", "phường") and name.split()[0] in ("Đảng",):
            continue
        level = UNIT_LEVEL.get(unit.lower(), "district")
        if canonical_province(name) and unit.lower() in ("tỉnh",):
            level = "province"
        places.append((match.start(), f"{unit.lower().rstrip('.')} {name}".replace("tp ", "thành phố "), level))
    return places


STOP_NAME_WORDS = {"Đảng", "Ủy", "UBND", "HĐND", "Tỉnh", "Ban", "Thường", "Sở", "Trong", "Đến", "Về", "Có", "Theo"}


def trim_name(name: str) -> str:
    words = []
    for word in name.split():
        if word in STOP_NAME_WORDS:
            break
        words.append(word)
    return " ".join(words)


def document_place(title: str, text: str) -> tuple[str | None, str | None]:
    """(locality, province) a document is about: the title's place, else the lead's."""
    for source in (title or "", text[:600]):
        places = [p for p in named_places(source) if p[2] in ("province", "district")]
        province = find_province(source)
        if places:
            return places[0][1], province or find_province(places[0][1])
        if province:
            return province_label(province), province
    return None, None


@lru_cache(maxsize=128)
def province_2025(province: str | None) -> str | None:
    """The province after the July 2025 merger (63 -> 34), from underthesea."""
    if not province:
        return None
    from underthesea import convert_address

    converted = convert_address(province_label(province)).new.province or ""
    return re.sub(r"^(Tỉnh|Thành phố)\s+", "", converted) or None


@lru_cache(maxsize=4)
def provinces_by_domain(directory: str = str(SITES_DIR)) -> dict[str, str]:
    """host -> province of every site file (the crawler validates them; here a
    file that does not parse simply gives no province)."""
    found = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
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
