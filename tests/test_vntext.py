"""Vietnamese text handling: the example table is the spec."""
import pytest

from pipeline.lang.vntext import is_vietnamese, normalize, parse_number


@pytest.mark.parametrize("raw,expected", [
    ("1.402", 1402), ("07", 7), ("19,7", 19.7), ("1.234.567", 1234567), ("một", 1), ("Hai", 2),
    ("12.5", 12.5), ("20,4", 20.4), ("0", 0), ("abc", None), ("18-NQ", None), ("", None),
])
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("hoá", "hóa"), ("Uỷ ban", "Ủy ban"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("hoặc", "hoặc"),
    ("quý", "quý"), ("hoàn thành", "hoàn thành"), ("Hoà Bình", "Hòa Bình"),
    ("a\u00a0b", "a b"), ("tổ\u202fdân", "tổ dân"), ("ho\u0301a", "hóa"), ("30\u201340", "30-40"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_is_idempotent_on_seeds():
    from tests.conftest import SEEDS

    for path in SEEDS.glob("*.txt"):
        once = normalize(path.read_text(encoding="utf-8"))
        assert normalize(once) == once
        assert "\u00a0" not in once


def test_is_vietnamese():
    assert is_vietnamese("Thành phố Bạc Liêu có 10 đơn vị hành chính phường, xã, gồm 07 phường.")
    assert not is_vietnamese("The city has ten administrative units, seven wards and three communes.")
