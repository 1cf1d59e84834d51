"""The words of a fact's parts (extract/breakdown.py) are data: rules/context.yaml
`breakdown_parts`. A researcher's edit there changes extraction with no Python
touched, and a slip in the section is an error that names the file."""
from __future__ import annotations

import shutil

import pytest

from pipeline import core
from pipeline.extract.notation import RuleError
from pipeline.extract.rules import load_ruleset
from pipeline.paths import RULES_DIR

# own wording: the parts follow "cụ thể", which is no breakdown word in the stock rules
TEXT = ("Dự kiến có 950 cán bộ, công chức của hai huyện thực hiện tinh giản, cụ thể huyện A có 610 người "
        "và huyện B có 340 người.")
OPENS = "  opens: [gồm, gồm có, bao gồm, trong đó, trong đó có]\n"


def edited_rules(tmp_path, old: str, new: str):
    """A copy of rules/ with one exact edit of context.yaml."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    path = copy / "context.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"context.yaml no longer has {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def counts(text, ruleset) -> set[tuple]:
    document = core.prepare_document({"id": "t", "text": text, "title": "Kết quả sắp xếp tổ chức bộ máy"})
    return {(f.indicator, f.value, f.change) for f in core.extract_document(document, ruleset)}


def test_a_word_added_to_opens_makes_the_counts_after_it_parts(tmp_path, ruleset):
    assert counts(TEXT, ruleset) == {("civil_servant", 950, "decrease")}
    edited = load_ruleset(edited_rules(tmp_path, OPENS, OPENS.replace("]", ", cụ thể]")))
    assert counts(TEXT, edited) == {("civil_servant", 950, "decrease"), ("civil_servant", 610, "decrease"),
                                    ("civil_servant", 340, "decrease")}


@pytest.mark.parametrize("old,new,what", [
    (OPENS, OPENS + "  opened: [gồm]\n", "opened"),  # a typo of a key
    (OPENS, "", "'opens' must be a list"),  # a key left out
    ("kinds: {LEADER: leader_post,", "kinds: {LEADERS: leader_post,", "LEADERS"),  # no such lexicon class
    ("indicators: [civil_servant, part_time_staff, leader_post]", "indicators: [civil_servants]", "civil_servants"),
])
def test_a_slip_in_breakdown_parts_names_the_file_and_the_word(tmp_path, old, new, what):
    with pytest.raises(RuleError) as error:
        load_ruleset(edited_rules(tmp_path, old, new))
    assert "context.yaml" in str(error.value) and what in str(error.value)
