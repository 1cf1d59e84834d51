"""Issue 11: a command pays only for the imports it needs. Each command runs
as its own process, as typed, and reports which heavy modules it loaded.
(How fast that is, is `vnfacts bench --paths --quick`'s to measure.)"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, SEEDS_GOLD

CRAWL = ("scrapy", "twisted", "warcio")
NLP = ("spacy", "underthesea", "trafilatura")
TABLES = ("pandas", "pyarrow")
HEAVY = (*CRAWL, *NLP, *TABLES, "ray", "duckdb", "numba", "joblib")  # numba: clustering only (~0.9 s)
# Runs the real entry point, then (at exit, after click's SystemExit) writes
# the heavy modules this process loaded to stderr's last line.
PROBE = ("import atexit, json, sys\n"
         "atexit.register(lambda: sys.stderr.write('\\nLOADED ' + json.dumps(sorted(m for m in {heavy} "
         "if m in sys.modules)) + '\\n'))\n"
         "sys.argv = ['vnfacts', *sys.argv[1:]]\n"
         "from pipeline.cli import main\n"
         "main()\n").format(heavy=HEAVY)


def loaded(*args) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True,
                            cwd=REPO, env=ENV)
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("LOADED "), result.stderr
    return set(json.loads(last.removeprefix("LOADED ")))


ENV = dict(os.environ)


def vnfacts(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env=ENV)


@pytest.fixture(scope="module")
def db(seeds_db, tmp_path_factory):
    """A copy of the seeds, extracted with a snapshot of rules/ (VNFACTS_RULES):
    what is pending must not change while others edit the rules."""
    folder = tmp_path_factory.mktemp("startup")
    shutil.copytree(REPO / "rules", folder / "rules")
    ENV["VNFACTS_RULES"] = str(folder / "rules")
    shutil.copy(seeds_db, folder / "seeds.duckdb")
    assert vnfacts("extract", "--all", "--db", folder / "seeds.duckdb").returncode == 0
    yield folder / "seeds.duckdb"
    ENV.pop("VNFACTS_RULES")


@pytest.mark.parametrize("args", [["--help"], ["query", "--help"], ["ingest", "--help"], ["run", "--help"],
                                  ["bench", "--help"], ["serve", "--help"], ["--version"]],
                         ids=lambda a: " ".join(a))
def test_help_loads_nothing_heavy(args):
    assert loaded(*args) == set()


def test_query_and_status_load_duckdb_only(db):
    assert loaded("query", "SELECT count(*) AS n, 2.5 AS x, DATE '2023-04-12' AS d", "--db", db) == {"duckdb"}
    assert loaded("query", "facts_by_province", "--json", "--db", db) == {"duckdb"}
    assert loaded("status", "--db", db) == {"duckdb"}


def test_export_and_eval_load_duckdb_only(db, tmp_path):
    assert loaded("export", "facts", "-o", tmp_path / "f.jsonl", "--db", db) == {"duckdb"}
    assert loaded("export", "documents", "--format", "csv", "--db", db) == {"duckdb"}   # rows, no DataFrame
    assert loaded("eval", SEEDS_GOLD, "--db", db) == {"duckdb"}


def test_extract_with_nothing_pending_compiles_no_rules(db):
    """The rules version is the files' hash: nothing pending loads neither
    spaCy nor the segmenter (the seeds were extracted with these rules)."""
    assert not loaded("extract", "--db", db) & {*NLP, *CRAWL}


def test_extract_with_something_pending_still_extracts(db, tmp_path):
    """The shortcut must not skip real work: a new document is extracted."""
    page = tmp_path / "new-1.txt"
    page.write_text("Huyện Bảo Thắng hiện có 112 thôn, tổ dân phố sau sắp xếp.", encoding="utf-8")
    assert vnfacts("ingest", page, "--db", db).returncode == 0
    result = vnfacts("extract", "--db", db)
    assert result.returncode == 0 and result.stderr.startswith("1 documents extracted, 1 facts"), result.stderr
    assert vnfacts("extract", "--db", db).stderr.startswith("0 documents extracted")


def test_extracting_loads_no_pandas(db, tmp_path):
    """Documents and facts go to DuckDB as typed lists: extracting does not
    pay pandas' import (~0.5 s, issue 11), nor does ingesting a text."""
    page = tmp_path / "new-2.txt"
    page.write_text("Huyện Bảo Thắng hiện có 113 thôn, tổ dân phố sau sắp xếp.", encoding="utf-8")
    assert not {"pandas", "numba"} & loaded("ingest", page, "--db", db)  # numba: only with --clusters
    modules = loaded("extract", "--db", db)
    assert "spacy" in modules and "pandas" not in modules


def test_segmenting_loads_no_joblib(db, tmp_path):
    """underthesea reads its normalizer table and keeps its CRF model module
    through joblib (~0.1 s to import): extracting, segmenter and all, does
    without it (extract/imports.py)."""
    page = tmp_path / "new-3.txt"
    page.write_text("Huyện Bảo Thắng hiện có 114 thôn, tổ dân phố sau sắp xếp.", encoding="utf-8")
    assert vnfacts("ingest", page, "--db", db).returncode == 0
    result = subprocess.run([sys.executable, "-c", PROBE, "extract", "--db", str(db)], capture_output=True,
                            text=True, cwd=REPO, env=ENV)
    assert result.stderr.startswith("1 documents extracted, 1 facts"), result.stderr
    assert "joblib" not in set(json.loads(result.stderr.strip().splitlines()[-1].removeprefix("LOADED ")))


def test_the_normalizer_table_read_without_joblib_is_underthesea_s_own():
    """The module put in place of underthesea's text_normalizer holds the
    same tables as the real one (read with joblib in another process), and
    underthesea's normalizing functions give the same text with it."""
    text = "Ðảm baỏ chất lựơng, hoà bình, thuỷ lợi"
    probe = ("import json, sys\n{first}"
             "from underthesea.pipeline.text_normalize import text_normalizer as t, text_normalize\n"
             "print(json.dumps([t.character_map, t.token_map, text_normalize(sys.argv[1]), 'joblib' in sys.modules],"
             " sort_keys=True))\n")
    runs = [subprocess.run([sys.executable, "-c", probe.format(first=first), text], capture_output=True, text=True,
                           cwd=REPO, env=ENV) for first in ("", "import pipeline.extract.imports\n")]
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    real, ours = (json.loads(run.stdout) for run in runs)
    assert real[3] and not ours[3]  # the real one imported joblib, ours did not
    assert ours[:3] == real[:3] and len(real[1]) > 1000 and real[2] != text


def test_spacy_and_underthesea_are_imported_without_what_is_never_used_and_that_stays_importable():
    """extract/imports.py: extracting imports neither spaCy's command line
    (typer, weasel) nor underthesea's NER, POS and chunking modules; the
    stand-ins are gone after, so in the same process the real modules import
    and the package-level functions reach them."""
    probe = ("import sys\n"
             "import pipeline.extract.rules, pipeline.extract.segment\n"
             "skipped = ['spacy.cli', 'typer', 'weasel', 'underthesea.pipeline.ner', 'underthesea.pipeline.pos_tag',\n"
             "           'underthesea.pipeline.chunking', 'underthesea.pipeline.lang_detect']\n"
             "print('skipped', [m for m in skipped if m in sys.modules])\n"
             "import spacy, spacy.cli, underthesea, underthesea.pipeline.ner as ner\n"
             "from pipeline.extract import imports\n"
             "print('real', hasattr(spacy.cli, 'download'), spacy.info(silent=True)['spacy_version'] == spacy.__version__,\n"
             "      not isinstance(ner, imports.StandIn), underthesea.ner.__doc__.startswith('underthesea.pipeline.ner'))\n"
             "print('words', pipeline.extract.segment.word_offsets('Toàn tỉnh có 46/67 bí thư'))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, env=ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["skipped []", "real True True True True",
                                             "words [(0, 4), (5, 9), (10, 12), (13, 18), (19, 25)]"], result.stdout



# An object freed only by the interpreter's teardown, and an exit handler.
ENDING_PROBE = ("import atexit, sys\n"
                "class Sentinel:\n"
                "    def __del__(self): sys.stderr.write('\\nTORN DOWN\\n')\n"
                "kept = Sentinel()\n"
                "atexit.register(lambda: sys.stderr.write('\\nHANDLERS RAN\\n'))\n"
                "sys.argv = ['vnfacts', *sys.argv[1:]]\n"
                "from pipeline.cli import {entry}\n"
                "{entry}()\n")


@pytest.mark.parametrize("entry, torn_down", [("run", False), ("main", True)])
def test_the_process_entry_ends_without_the_teardown_and_the_click_group_with_it(db, entry, torn_down):
    """`vnfacts` and `python -m pipeline.cli` end through `run`: the exit
    handlers run, the output is complete, the interpreter's teardown (and
    DuckDB's nanobind leak report it would provoke if skipped by half) is
    not; the click group `main` that in-process callers use ends as usual."""
    result = subprocess.run([sys.executable, "-c", ENDING_PROBE.format(entry=entry), "query", "--db", str(db),
                             "select 41 + 1 as answer", "--csv"], capture_output=True, text=True, cwd=REPO, env=ENV)
    assert (result.returncode, result.stdout.split()) == (0, ["answer", "42"]), result.stderr
    assert "HANDLERS RAN" in result.stderr and "nanobind" not in result.stderr
    assert ("TORN DOWN" in result.stderr) is torn_down


def test_a_failing_command_keeps_its_exit_code_through_the_process_entry(tmp_path):
    result = vnfacts("query", "--db", tmp_path / "none.duckdb", "select 1")
    assert result.returncode != 0 and "none.duckdb" in result.stderr


def test_the_console_script_and_python_m_use_the_process_entry():
    from importlib.metadata import entry_points

    assert entry_points(group="console_scripts")["vnfacts"].value == "pipeline.cli:run"
    assert (REPO / "pipeline" / "cli" / "__main__.py").read_text(encoding="utf-8").split() == \
        ["from", "pipeline.cli", "import", "run", "run()"]
