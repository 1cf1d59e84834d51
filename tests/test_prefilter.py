"""The pre-filter decides, before word segmentation, which sentences a rule
could match. It may cost nothing in recall: the fast path must find exactly
what segmenting every sentence finds."""
from __future__ import annotations

import pytest

from pipeline import core
from pipeline.extract.annotate import VOCAB
from pipeline.extract.prefilter import runs_in_order
from tests.conftest import REPO, SAMPLE

EXCERPTS = REPO / "tests" / "data" / "excerpts"
ORDERED = "@AGENCY ~~10 VERB được|thêm? APPROX? NUM"


def runs_pass(ruleset, pattern: str, text: str) -> bool:
    return runs_in_order(ruleset.keywords.need(pattern).runs, text, {})


@pytest.mark.parametrize("text,passes", [
    ("Các sở, ngành đã giảm được khoảng 12 biên chế", True),
    ("Các sở, ngành đã giảm 12 biên chế", True),
    # the runs are there, but in the wrong order for the pattern
    ("Giảm 12 biên chế là việc của các sở", False),
    # "giảm" and the number are not adjacent (only optional words may sit between)
    ("Các sở đã giảm mạnh, tới 12 biên chế", False),
])
def test_runs_must_appear_in_the_patterns_order(ruleset, text, passes):
    assert runs_pass(ruleset, ORDERED, text) is passes


def test_a_number_may_touch_a_letter(ruleset):
    """underthesea splits "23h" into "23" + "h": the rule sees NUM "23"."""
    text = "Các khu dân cư ở phường này được cấp nước từ 23h đến 5h sáng."
    assert runs_pass(ruleset, "@HAMLET ~~12 VERB được|thêm? APPROX? NUM", text)
    document = core.prepare_document({"id": "hours", "text": "Cấp nước sạch\n\n" + text})
    key = lambda f: (f["indicator"], f["value"], f["start"])
    assert (sorted(map(key, core.extract_document(document, ruleset)))
            == sorted(map(key, core.extract_document(document, ruleset, prefilter=False))))


def test_a_class_inside_a_run_may_be_a_list(ruleset):
    """annotate merges "xã, phường" into one token, so a run with a class in
    its middle must accept the list there."""
    assert runs_pass(ruleset, "NUM @COMMUNE giảm", "có 5 xã, phường giảm")
    assert not runs_pass(ruleset, "NUM @COMMUNE giảm", "có 5 xã mới, phường giảm")


def test_a_word_list_inside_an_alternation_is_expanded(ruleset):
    """'IMPLEMENT|có' names context.yaml's IMPLEMENT words next to a literal:
    the pre-filter must read it as the rule compiler does, not as a word."""
    text = "Toàn huyện có 12 xã áp dụng mô hình mới."
    assert runs_pass(ruleset, "NUM @COMMUNE IMPLEMENT|được", text)
    assert runs_pass(ruleset, "NUM @COMMUNE IMPLEMENT", text)
    assert not runs_pass(ruleset, "NUM @COMMUNE IMPLEMENT|được", "Toàn huyện có 12 xã nghèo.")


@pytest.mark.parametrize("pattern,text,passes", [
    ("NUM @HAMLET", "toàn tỉnh còn 1.402 thôn", True),      # tried at the number's first digit
    ("NUM @HAMLET", "tỉnh có 1.402thôn", True),              # a number may touch a word
    ("NUM @HAMLET", "việc triển khai thôn mới", False),      # "hai" inside "khai" is no number
    ("khoảng? NUM @COMMUNE", "có 12 xã", True),              # leading optional items need not be there
    ("NUM @COMMUNE", "giảm 12 xãx", False),                   # "xã" only as a whole word
    ("@CIVIL ~~5 NUM", "tinh giản cb, cc được 12", True),    # a phrase anchored at its first letters
])
def test_a_run_is_tried_only_where_its_first_item_can_start(ruleset, pattern, text, passes):
    assert runs_pass(ruleset, pattern, text) is passes


def _documents():
    pages = [{"id": p.stem, "html": p.read_bytes(), "url": None} for p in sorted(SAMPLE.glob("*.html"))]
    texts = [{"id": p.stem, "text": p.read_bytes()} for p in sorted(EXCERPTS.glob("*.txt"))]
    return pages + texts


@pytest.mark.parametrize("record", _documents(), ids=lambda r: r["id"])
def test_fast_path_finds_what_the_full_path_finds(ruleset, record):
    document = core.prepare_document(record)
    key = lambda f: (f["indicator"], str(f["value"]), str(f["percent"]), f["start"], f["rule_id"])
    fast = sorted(map(key, core.extract_document(document, ruleset, prefilter=True)))
    full = sorted(map(key, core.extract_document(document, ruleset, prefilter=False)))
    assert fast == full


@pytest.mark.parametrize("regexes,prefixes", [
    (["(phó )?bí thư( thường trực)? kiêm chủ tịch"], {"phó", "bí"}),
    (["(thôn đội trưởng|trưởng|phó)[^.]{0,50}? kiêm"], {"thôn", "trưởng", "phó"}),
    (["nhất thể( hóa)? (2|hai) chức danh"], {"nhất"}),
    (["(?<!x)đều không", "là người"], {"đều", "là"}),   # zero-width items are skipped
    (["x[^a]y"], {"x"}),                                 # a prefix: the word may go on
    (["\\d+ xã"], None),                                 # starts with a digit: searched for
    (["(đã )?.{0,5}xã"], None),                          # may start with any character
])
def test_first_prefixes_of_a_regex_class(regexes, prefixes):
    from pipeline.extract.firstwords import first_prefixes
    assert first_prefixes(regexes) == (frozenset(prefixes) if prefixes is not None else None)


def test_every_run_of_the_rules_is_anchored(ruleset):
    """Searching a paragraph per run was the pre-filter's main cost (issue 11):
    every run of today's rules starts at a number, a word or a mark."""
    assert all(run.anchor is not None for run in ruleset.keywords.anchored.values())


def _press_documents():
    import json
    from tests.conftest import SHARED
    lines = (SHARED / "gold" / "press" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_press_facts_are_those_of_the_full_path_and_every_matching_pattern_passes_its_need(ruleset):
    """The fast path (pre-filter, then each sentence matched with the patterns
    whose needs it meets, Prefilter.passing) gives the facts of the full path
    (every sentence segmented and matched with every pattern) on the press
    set; and on every one of its sentences each pattern that matches meets
    its need. (A key of a phrase without a syllable, ',', once made a need
    that never held; another pattern's need had let its sentences through.)"""
    from pipeline.extract import bounds
    from pipeline.extract.annotate import build_doc
    key = lambda f: (f["indicator"], str(f["value"]), str(f["percent"]), f["start"], f["rule_id"], f["status"])
    missed, differ = [], []
    for record in _press_documents():
        document = core.prepare_document(record)
        full = core.segment(document, ruleset, prefilter=False)
        for sentence in full:
            doc = build_doc(sentence.text, sentence.words, ruleset.lexicon)
            passing = ruleset.keywords.passing(sentence.text)
            missed += [(record["id"], VOCAB.strings[k]) for k, _, _ in ruleset.matcher(doc)
                       if pattern_of(ruleset, k) not in passing]
        slow = sorted(map(key, bounds.within(core.extract_facts(document, full, ruleset))))
        if sorted(map(key, core.extract_document(document, ruleset))) != slow:
            differ.append(record["id"])
    assert not missed and not differ


def pattern_of(ruleset, key) -> str:
    rule_id, n = VOCAB.strings[key].rsplit("#", 1)
    return ruleset.rules[rule_id].patterns[int(n)]
