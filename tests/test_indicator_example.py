"""rules/README.md's worked example: a fifteenth indicator from YAML alone.

The test takes the README's YAML blocks as written, applies them to a copy
of rules/ (lexicon keys merged, the rule file added) and proves that the
new indicator loads and extracts, with no code change."""
from __future__ import annotations

import re
import shutil

import pytest
import yaml

from pipeline import core
from pipeline.extract.rules import RULES_DIR, RuleError, load_ruleset
from pipeline.quality.ruletest import check_counterexample, check_example

README = RULES_DIR / "README.md"


def worked_example_blocks() -> dict[str, str]:
    """The YAML blocks of the worked example, by the file their first comment names."""
    section = README.read_text(encoding="utf-8").split("## Worked example", 1)[1]
    blocks = re.findall(r"```yaml\n# (\S+)\n(.*?)```", section, re.S)
    return {name: body for name, body in blocks}


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    copy = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    blocks = worked_example_blocks()
    assert set(blocks) == {"lexicon.yaml", "indicators/association.yaml"}
    lexicon = yaml.safe_load((copy / "lexicon.yaml").read_text(encoding="utf-8"))
    for key, rows in yaml.safe_load(blocks["lexicon.yaml"]).items():
        lexicon[key].update(rows)
    (copy / "lexicon.yaml").write_text(yaml.safe_dump(lexicon, allow_unicode=True), encoding="utf-8")
    (copy / "indicators" / "association.yaml").write_text(blocks["indicators/association.yaml"], encoding="utf-8")
    return load_ruleset(copy)


def test_the_fifteenth_indicator_loads_from_yaml(extended):
    assert "association" in extended.lexicon.indicators and len(extended.lexicon.indicators) == 15
    assert extended.rules["association.count"].indicator == "association"


def test_the_fifteenth_indicator_extracts(extended):
    document = core.prepare_document({"id": "x", "title": "Sắp xếp tổ chức hội",
                                      "text": "Qua sắp xếp, toàn tỉnh hiện có 38 tổ chức hội, giảm 7 tổ chức hội."})
    facts = [f for f in core.extract_document(document, extended) if f["indicator"] == "association"]
    assert sorted((f["value"], f["change"]) for f in facts) == [(7, "decrease"), (38, "count")]
    assert all(f["level"] == "province" and 0 <= f["confidence"] <= 1 for f in facts)


def test_the_readme_rule_passes_its_own_examples(extended):
    rule = extended.rules["association.count"]
    for example in rule.examples:
        outcome = check_example(rule, example, extended)
        assert outcome.passed, outcome.detail
    for text in rule.counterexamples:
        outcome = check_counterexample(rule, text, extended)
        assert outcome.passed, outcome.detail


def test_without_its_lexicon_row_the_rule_is_an_error(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    (copy / "indicators" / "association.yaml").write_text(worked_example_blocks()["indicators/association.yaml"],
                                                          encoding="utf-8")
    with pytest.raises(RuleError, match=r"association\.yaml.*association\.count.*indicator"):
        load_ruleset(copy)


@pytest.mark.parametrize("file,edit,words", [
    ("context.yaml", lambda d: d.update(as_of_cue=["đến"]), ["context.yaml", "as_of_cue"]),
    ("lexicon.yaml", lambda d: d["classes"]["HAMLET"].update(levels="hamlet"), ["lexicon.yaml", "HAMLET", "levels"]),
    ("lexicon.yaml", lambda d: d["indicators"]["hamlet"].update(lvl="hamlet"), ["lexicon.yaml", "hamlet", "lvl"]),
    ("context.yaml", lambda d: d.pop("as_of_cues"), ["context.yaml", "as_of_cues"]),
    ("context.yaml", lambda d: d["date_parts"].update(ending=["hết"]), ["context.yaml", "date_parts", "ending"]),
])
def test_unknown_or_missing_keys_name_file_and_key(tmp_path, file, edit, words):
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    data = yaml.safe_load((copy / file).read_text(encoding="utf-8"))
    edit(data)
    (copy / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError) as error:
        load_ruleset(copy)
    assert all(w in str(error.value) for w in words), str(error.value)
