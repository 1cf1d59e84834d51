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


# --- the fast forms give the answers of the plain ones (issue 11) ------------

def four_pass_normalize(text: str) -> str:
    """normalize as it was written before its passes were merged: the reference."""
    import re
    import unicodedata

    from pipeline.lang import vntext
    text = vntext.ODD_SPACES.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = vntext.LINE_BREAKS.sub("\n", text)
    text = vntext.HYPHENS.sub("-", text)
    old_tone = re.compile(r"(?<![qQ])([oOuU])([" + "".join(vntext._TONED) + r"])(?![\w\u0300-\u036f])")
    return old_tone.sub(vntext._move_tone, unicodedata.normalize("NFC", text))


def counted_is_vietnamese(text: str, minimum: float = 0.02) -> bool:
    """is_vietnamese counting every letter of the sample: the reference."""
    from pipeline.lang.vntext import LETTER, VIETNAMESE_LETTER
    sample = text[:1500]
    letters = len(LETTER.findall(sample))
    return letters >= 20 and len(VIETNAMESE_LETTER.findall(sample)) / letters >= minimum


def mixed_texts(count: int = 3000):
    """Random strings over the characters normalize edits and their neighbours."""
    import random
    rng = random.Random(11)
    alphabet = (list("oOuUqQaeyAEY xhn\n\r\t-") + ["\r\n", "\u00a0", "\x1f", "\x0b", "\x0c", "\x1c", "\x85",
                "\u2028", "\u2013", "\u2212", "\u00ac", "\u200b", "\ufeff", "\u0301", "\u0300", "\u0323"]
                + ["á", "à", "ả", "ã", "ạ", "é", "ẻ", "ý", "ỷ", "Ý", "ơ", "ư", "đ", "1", "_"])
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))


def test_normalize_matches_the_four_pass_reference():
    from tests.conftest import SEEDS

    texts = [*mixed_texts(), *(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))]
    assert [normalize(t) for t in texts] == [four_pass_normalize(t) for t in texts]
    assert normalize("quá hoá Quý khoẻ uỷ\r\r\n") == "quá hóa Quý khỏe ủy\n\n"


def test_is_vietnamese_matches_the_full_count():
    from tests.conftest import SEEDS

    english = "The city has ten administrative units, seven wards and three communes. "
    texts = [english * 30, "Hoà " + english * 30, "đ" * 19 + english, "đ" * 20 + english, "ă" * 25,
             *mixed_texts(500), *(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))]
    for minimum in (0.02, 0.05, 0.5):
        assert [is_vietnamese(t, minimum) for t in texts] == [counted_is_vietnamese(t, minimum) for t in texts]


def test_collapse_spaces_is_split_and_join():
    import sys

    from pipeline.lang.vntext import collapse_spaces
    # what its shortcut rests on, over all of Unicode
    assert all(not chr(c).isprintable() for c in range(sys.maxunicode + 1) if chr(c).isspace() and c != 32)
    texts = [*mixed_texts(), "", " ", "a  b", " a", "a ", "a\u3000b", "a\u200bb", "Tỉnh có 12 xã."]
    assert [collapse_spaces(t) for t in texts] == [" ".join(t.split()) for t in texts]
