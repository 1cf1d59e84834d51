"""Every rule's own examples (the spec of that rule), and rule-file validation."""
from __future__ import annotations

import shutil

import pytest

from pipeline.extract.rules import RULES_DIR, RuleError, load_ruleset
from pipeline.quality.ruletest import check_counterexample, check_example
from tests.conftest import run_cli

RULESET = load_ruleset()
EXAMPLES = [(r, e) for r in RULESET.rules.values() for e in r.examples]
COUNTER = [(r, t) for r in RULESET.rules.values() for t in r.counterexamples]


@pytest.mark.parametrize("rule,example", EXAMPLES, ids=[f"{r.id}:{e['text'][:40]}" for r, e in EXAMPLES])
def test_rule_example(rule, example):
    outcome = check_example(rule, example, RULESET)
    assert outcome.passed, outcome.detail


@pytest.mark.parametrize("rule,text", COUNTER, ids=[f"{r.id}:{t[:40]}" for r, t in COUNTER])
def test_rule_counterexample(rule, text):
    outcome = check_counterexample(rule, text, RULESET)
    assert outcome.passed, outcome.detail


def test_every_indicator_has_rules_with_examples():
    from pipeline.extract.rules import PREVIOUS

    covered = {r.indicator for r in RULESET.rules.values() if r.examples and r.counterexamples}
    assert covered == set(RULESET.lexicon.indicators) | {PREVIOUS}
    assert len(RULESET.lexicon.indicators) == 14  # FACTS.md's table


def test_rules_version_is_a_content_hash(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    before = load_ruleset(copy).version
    path = copy / "context.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_ruleset(copy).version != before == RULESET.version


BROKEN = [
    ("units.yaml", "- id: x\n  indicator: nonsense\n  patterns: ['NUM @HAMLET']\n", "rule 'x'", "indicator"),
    ("units.yaml", "- id: y\n  indicator: hamlet\n  patterns: ['NUM @NOPE']\n  examples: [{text: a, expect: {value: 1}}]\n  counterexamples: [b]\n", "rule 'y'", "@NOPE"),
    ("units.yaml", "- id: z\n  indicator: hamlet\n  patterns: ['NUM @HAMLET']\n", "rule 'z'", "example"),
    ("units.yaml", "- id: [unclosed\n", "units.yaml", "YAML"),
    ("units.yaml", "- id: hamlet.count\n  indicator: hamlet\n  patterns: ['NUM @HAMLET']\n  examples: [{text: a, expect: {value: 1}}]\n  counterexamples: [b]\n", "hamlet.count", "duplicate"),
    # two exclude_after lists in one rule: YAML alone would keep the second and drop the first
    ("units.yaml", "- id: w\n  indicator: hamlet\n  patterns: ['NUM @HAMLET']\n  exclude_after: [a]\n"
                   "  exclude_after: [b]\n  examples: [{text: a, expect: {value: 1}}]\n  counterexamples: [b]\n",
     "line 5", "duplicate key 'exclude_after'"),
]


@pytest.mark.parametrize("name,content,where,what", BROKEN)
def test_invalid_rule_file_names_file_and_rule(tmp_path, name, content, where, what):
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    target = copy / "indicators" / ("zz_" + name)
    target.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError) as error:
        load_ruleset(copy)
    message = str(error.value)
    assert "zz_units.yaml" in message and where in message and what in message


def test_a_class_names_only_a_known_indicator(tmp_path):
    """Which classes name a model (a bare "bí thư ... kiêm chủ tịch UBND"
    a later "đạt mục tiêu là huyện A (42,1%)" counts) is lexicon data."""
    assert load_ruleset().lexicon.models["SEC_COMMITTEE_CHAIR"] == "secretary_committee_chair"
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    lexicon = copy / "lexicon.yaml"
    text = lexicon.read_text(encoding="utf-8")
    lexicon.write_text(text.replace("names_indicator: secretary_council_chair", "names_indicator: council_chairs", 1),
                       encoding="utf-8")
    with pytest.raises(RuleError) as error:
        load_ruleset(copy)
    assert "lexicon.yaml" in str(error.value) and "SEC_COUNCIL_CHAIR" in str(error.value) and "council_chairs" in str(error.value)


def test_cli_reports_invalid_rule_file_and_keeps_database(tmp_path, seeds_db):
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    (copy / "indicators" / "bad.yaml").write_text("- id: b\n  indicator: hamlet\n", encoding="utf-8")
    db = tmp_path / "copy.duckdb"
    shutil.copy(seeds_db, db)
    before = run_cli("query", "SELECT count(*) AS n FROM facts", "--csv", "--db", db).stdout
    result = run_cli("extract", "--all", "--db", db, env={"VNFACTS_RULES": str(copy)}, check=False)
    assert result.returncode != 0 and "bad.yaml" in result.stderr and "rule 'b'" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("query", "SELECT count(*) AS n FROM facts", "--csv", "--db", db).stdout == before


def test_rules_test_command_passes_and_fails(tmp_path):
    assert "examples pass" in run_cli("rules", "test").stdout
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy, ignore=shutil.ignore_patterns("sites"))
    wrong = ("- id: wrong\n  indicator: hamlet\n  patterns: ['NUM @HAMLET']\n"
             "  examples: [{text: 'Huyện có 12 thôn.', expect: {value: 13}}]\n  counterexamples: ['x']\n")
    (copy / "indicators" / "wrong.yaml").write_text(wrong, encoding="utf-8")
    result = run_cli("rules", "test", env={"VNFACTS_RULES": str(copy)}, check=False)
    assert result.returncode == 1 and "FAIL wrong example" in result.stdout
