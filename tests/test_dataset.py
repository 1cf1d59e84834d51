"""The dataset layer on a real DuckDB: seeds + bundled samples + syndicated
copies (ours), clusters of copies, claims with their sources, conflicts."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

import pipeline
from pipeline.dataset import clusters, kernel, refresh, smallbatch
from pipeline.dataset.claims import place_key, rebuild_claims
from pipeline.store import dataset as sql

from conftest import SAMPLE, SEEDS, SHARED, run_cli

DATA = Path(__file__).parent / "data" / "dataset"
SYNDICATED = DATA / "syndicated.jsonl"
ORIGINAL = "nghean-2020-1105"  # the sample page republished below by two other sites


def republished(con) -> tuple[list[dict], dict]:
    """Two copies of a sample page on other sites: one lightly edited (new
    headline, a paragraph dropped, a day later), one two days later with one
    figure changed. Returns the records and the changed fact."""
    doc = con.execute("SELECT id, title, text, published FROM documents WHERE id = ?", [ORIGINAL]).df().iloc[0]
    facts = con.execute("SELECT value, quote FROM facts WHERE doc = ? AND value >= 100 AND status = 'achieved' AND as_of IS NOT NULL "
                        "ORDER BY start", [ORIGINAL]).df()
    changed = next(f for f in facts.itertuples() if doc.text.count(f.quote) == 1
                   and len(re.findall(rf"(?<![\d.]){int(f.value):,}(?![\d.])".replace(",", "."), doc.text)) == 1)
    paragraphs = doc.text.split("\n")
    edited = "\n".join(["Nghệ An hoàn thành sắp xếp xã, thôn", *paragraphs[1:-1]]).replace(", ", " , ", 3)
    number = f"{int(changed.value):,}".replace(",", ".")
    new_number = f"{int(changed.value) + 7:,}".replace(",", ".")
    altered = doc.text.replace(changed.quote, changed.quote.replace(number, new_number))
    day = doc.published.date() if hasattr(doc.published, "date") else doc.published
    records = [
        {"id": "copy-b", "site": "Báo Miền Trung (thử)", "url": "http://127.0.0.2/a/1", "title": None,
         "published": str(day + timedelta(days=1)), "text": edited},
        {"id": "copy-c", "site": "Thời sự Địa phương (thử)", "url": "http://127.0.0.3/b/2", "title": None,
         "published": str(day + timedelta(days=2)), "text": altered},
    ]
    return records, {"value": changed.value, "new": changed.value + 7}


@pytest.fixture(scope="module")
def dataset_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("dataset") / "dataset.duckdb"
    with pipeline.connect(path) as con:
        report = pipeline.ingest_paths(con, [SEEDS, SAMPLE, SYNDICATED])
        assert not report.errors and report.added == 18
        pipeline.extract_pending(con)
        records, changed = republished(con)
        pipeline.ingest_records(con, records, "test")
        pipeline.extract_pending(con)
        refresh(con)
    return path, changed


def query(path, sql_text, params=()):
    with pipeline.connect(path, read_only=True) as con:
        return con.execute(sql_text, list(params)).df()


def test_copies_cluster_with_their_original(dataset_db):
    path, _ = dataset_db
    rows = query(path, "SELECT doc, cluster, is_original, copies FROM document_clusters WHERE copies > 1 ORDER BY doc")
    groups = {c: sorted(rows.loc[rows.cluster == c, "doc"]) for c in rows.cluster}
    assert groups == {ORIGINAL: sorted([ORIGINAL, "copy-b", "copy-c"]),
                      "hanam-orig": ["hanam-changed", "hanam-copy", "hanam-orig"]}
    assert set(rows.loc[rows.is_original, "doc"]) == {ORIGINAL, "hanam-orig"}  # the earliest published copy
    total = query(path, "SELECT count(*) AS n FROM document_clusters").n[0]
    assert total == 20  # every document has a row; the 14 others are their own cluster


def test_each_figure_is_one_claim_with_all_its_sources(dataset_db):
    path, _ = dataset_db
    facts = query(path, "SELECT indicator, value, percent FROM facts WHERE doc = ? AND status = 'achieved'", [ORIGINAL])
    claims = query(path, "SELECT c.claim, c.value, c.percent, c.documents, c.sites, c.independent, c.first_seen, "
                   "c.last_seen, c.original_doc FROM claims c JOIN claim_sources s USING (claim) WHERE s.doc = ?",
                   [ORIGINAL])
    assert len(claims) >= len(facts) - 1  # two facts of one document never share a claim unless dates merge them
    shared = claims[claims.documents == 3]
    assert len(shared) >= len(claims) - 3  # all but the changed figure and the dropped headline/last paragraph
    assert (shared.sites == 3).all() and (shared.independent == 1).all()
    assert (shared.original_doc == ORIGINAL).all()
    assert (shared.last_seen - shared.first_seen).dt.days.eq(2).all()


def test_a_changed_figure_in_a_copy_is_a_conflict_with_both_sources(dataset_db):
    path, changed = dataset_db
    found = query(path, "SELECT * FROM claim_conflicts ORDER BY doc")
    pairs = {frozenset([r.doc, r.other_doc]): {r.value, r.other_value} for r in found.itertuples()}
    assert pairs[frozenset([ORIGINAL, "copy-c"])] == {changed["value"], changed["new"]}
    assert pairs[frozenset(["hanam-orig", "hanam-changed"])] == {1020, 1002}
    assert len(found) == 2  # nothing else in seeds and samples disagrees
    flagged = query(path, "SELECT value FROM claims WHERE conflict ORDER BY value").value.tolist()
    assert sorted(flagged) == sorted([changed["value"], changed["new"], 1002, 1020])


def test_the_repeated_figure_across_two_sites(dataset_db):
    path, _ = dataset_db
    claim = query(path, "SELECT * FROM claims WHERE indicator = 'secretary_hamlet_head' AND value = 1020").iloc[0]
    assert (claim.documents, claim.sites, claim.total, str(claim.as_of.date())) == (2, 2, 1108, "2023-06-30")
    sources = query(path, "SELECT doc, site FROM claim_sources WHERE claim = ? ORDER BY doc", [claim.claim])
    assert sources.doc.tolist() == ["hanam-copy", "hanam-orig"]


def test_rebuilding_claims_gives_identical_tables(dataset_db, tmp_path):
    path, _ = dataset_db
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(path).read_bytes())
    with pipeline.connect(copy) as con:
        before = {t: sql.read_table(con, t, o) for t, o in TABLE_ORDER.items()}
        rebuild_claims(con)
        after = {t: sql.read_table(con, t, o) for t, o in TABLE_ORDER.items()}
    for table in TABLE_ORDER:
        assert before[table].equals(after[table]), table
    assert len(before["claims"]) > 150


def test_latest_figure_and_history_per_place(dataset_db):
    path, _ = dataset_db
    where = "WHERE province = 'Hà Nam' AND indicator = 'secretary_hamlet_head' AND status = 'achieved'"
    history = query(path, f"SELECT value, approx, as_of, sources FROM place_history {where}")
    assert {1002, 1020} <= set(history.value)
    dated = history.as_of.dropna().tolist()
    assert dated == sorted(dated) and history.as_of.isna().tolist() == sorted(history.as_of.isna())  # undated last
    latest = query(path, f"SELECT value, as_of, sources FROM latest_figures {where.split(' AND status')[0]}")
    # one row per place and indicator: the newest date, then the figure more sources state
    newest = history[history.as_of == max(dated)].sort_values("sources", ascending=False).iloc[0]
    assert len(latest) == 1 and (latest.value[0], latest.as_of[0]) == (newest.value, newest.as_of)
    names = {r.split()[0] for r in run_query_list()}
    assert {"latest_figures", "place_history"} <= names


def run_query_list() -> list[str]:
    from conftest import run_cli

    return run_cli("query", "--list").stdout.splitlines()


TABLE_ORDER = {"claims": "claim", "claim_sources": "claim, doc, start", "claim_conflicts": "claim, other"}


def test_places_compare_as_places():
    assert place_key("tỉnh Hải Dương", None, "a") == place_key("Hải Dương", "Hải Dương", "b") == "province:Hải Dương"
    assert place_key("thành phố Cần Thơ", "Cần Thơ", "a") == "province:Cần Thơ"
    assert place_key("thành phố Bạc Liêu", "Bạc Liêu", "a") != place_key("tỉnh Bạc Liêu", "Bạc Liêu", "a")
    assert place_key("huyện Thanh Ba", None, "a") != place_key("huyện Hạ Hòa", None, "a")
    assert place_key(None, None, "a") != place_key(None, None, "b")  # unplaced figures merge only within copies


def test_permutations_are_datasketchs_without_importing_it():
    """Clustering draws datasketch's affine32 permutations itself (importing
    datasketch pulls in scipy.integrate, ~0.5 s): the same a, b and empty
    values, and a command that clusters loads neither; a small batch does
    not load numba either (clusters.COMPILED_FROM).)"""
    reference = MinHash(num_perm=clusters.NUM_PERM, seed=clusters.SEED, scheme="affine32")
    a, b = reference.permutations
    assert (clusters._A == a).all() and (clusters._B == b).all()
    assert (clusters._EMPTY == reference.hashvalues).all()
    probe = ("import sys, pipeline.dataset.clusters as c; c.signature('một hai ba bốn năm sáu'); "
             "print(sorted({'datasketch', 'scipy.integrate', 'scipy.sparse', 'numba'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"


def test_pairs_decided_in_bulk_equal_one_pair_at_a_time(monkeypatch):
    """pairs.estimates and pairs.jaccards give clusters.estimate's and
    clusters.set_jaccard's values, also across chunk boundaries and for empty sets."""
    from pipeline.dataset import pairs

    draw = np.random.default_rng(7)
    sets = [np.unique(draw.integers(0, 60, size=n).astype(np.uint32)) for n in [0, 1, 5, 30, 60, 200] * 8]
    signatures = draw.integers(0, 4, size=(len(sets), clusters.NUM_PERM)).astype("<u4")
    a, b = (draw.integers(0, len(sets), size=500) for _ in range(2))
    monkeypatch.setattr(pairs, "ELEMENTS", 97)  # many chunks, some pairs larger than a chunk
    expected = [clusters.set_jaccard(set(sets[i].tolist()), set(sets[j].tolist())) for i, j in zip(a, b)]
    assert pairs.jaccards(sets, a, b).tolist() == expected
    assert pairs.estimates(signatures, a, b).tolist() == [
        clusters.estimate(signatures[i].tobytes(), signatures[j].tobytes()) for i, j in zip(a, b)]


def test_signature_equals_datasketch_fed_one_by_one():
    text = "Toàn tỉnh có 46/67 bí thư chi bộ đồng thời là trưởng thôn, khu phố sau khi sắp xếp lại các thôn nhỏ."
    count, values = clusters.signature(text)
    reference = MinHash(num_perm=clusters.NUM_PERM, seed=clusters.SEED, hashfunc=int, scheme="affine32")
    for h in clusters.shingle_hashes(text):
        reference.update(h)
    assert count == len(re.findall(r"\w+", text)) - 4 and np.array_equal(values, reference.hashvalues.astype(np.uint32))


def python_shingles(text: str) -> np.ndarray:
    """The shingle hashes as first written, one text at a time in Python: the
    reference for the compiled path (kernel.py)."""
    import pandas as pd

    words = re.findall(r"\w+", text.lower())
    if len(words) < clusters.SHINGLE_WORDS:
        return np.zeros(0, dtype=np.uint32)
    word_hash = pd.util.hash_array(np.array(words, dtype=object), categorize=False)
    mixed = np.zeros(len(words) - clusters.SHINGLE_WORDS + 1, dtype=np.uint64)
    for offset in range(clusters.SHINGLE_WORDS):
        mixed = mixed * np.uint64(0x100000001B3) + word_hash[offset:offset + len(mixed)]
    return ((mixed ^ (mixed >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


@pytest.mark.parametrize("way", [kernel, smallbatch], ids=["kernel", "smallbatch"])
def test_batched_shingles_and_signatures_equal_one_text_at_a_time(way):
    import gzip

    with gzip.open(SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz", "rt", encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line, _ in zip(lines, range(300))]
    texts += ["", "...", "một hai ba bốn", " Một, hai; ba bốn năm sáu! ", "x_y 3,5% (2019) – “Đắk Lắk” …",
              " ".join(f"từ{n}" for n in range(40000)),  # one long text (longer than smallbatch's chunk)
              "a b c d e " * 3000,  # one-letter words: more words than the kernel's first guess
              "dài " * 3 + "Ư" * 3000 + " một hai ba bốn",  # a word longer than the kernel's word buffer
              "Ａ 𐐀𐐁 𝐀𝐁 Số 😀 liệu🎉 năm 2024 ĐẮK LẮK"]  # above the BMP, cased, emoji
    flat, counts = way.shingles_of(texts, clusters.SHINGLE_WORDS)
    batch = np.split(flat, np.cumsum(counts)[:-1])
    assert all(np.array_equal(got, python_shingles(text)) for got, text in zip(batch, texts))
    matrix = way.minhash_rows(flat, counts, clusters._A, clusters._B)
    for row, hashes in zip(matrix, batch):
        reference = MinHash(num_perm=clusters.NUM_PERM, seed=clusters.SEED, hashfunc=int, scheme="affine32")
        reference.update_batch(hashes.tolist())
        assert np.array_equal(row, reference.hashvalues.astype(np.uint32))


def test_small_and_large_batches_sketch_alike(monkeypatch):
    """clusters.sketcher picks smallbatch below COMPILED_FROM documents (the
    kernel once loaded) and the kernel from it: the same shingles either way."""
    texts = ["Toàn tỉnh có 46/67 bí thư chi bộ đồng thời là trưởng thôn, khu phố.", "İstanbul và ĐẮK LẮK năm sáu"]
    monkeypatch.delitem(sys.modules, "pipeline.dataset.kernel", raising=False)  # as in a new process
    assert clusters.sketcher(clusters.COMPILED_FROM - 1) is smallbatch
    assert clusters.sketcher(clusters.COMPILED_FROM) is kernel
    monkeypatch.setitem(sys.modules, "pipeline.dataset.kernel", kernel)  # loaded: no reason for the slower path
    assert clusters.sketcher(1) is kernel
    import pyarrow as pa

    chunked = pa.chunked_array([texts[:1], texts[1:]], pa.string())  # as DuckDB hands a batch over
    for given in (texts, chunked):
        for got, expected in zip(kernel.shingles_of(given, 5), smallbatch.shingles_of(given, 5)):
            assert np.array_equal(got, expected)


def test_a_large_backlog_loads_the_kernel(monkeypatch):
    """update_clusters loads the compiled kernel for a backlog of COMPILED_FROM
    documents, not for fewer (a crawl's pass stays in Arrow and numpy)."""
    import pipeline.dataset as package

    monkeypatch.delitem(sys.modules, "pipeline.dataset.kernel", raising=False)  # as in a new process
    monkeypatch.delattr(package, "kernel", raising=False)
    clusters.prepare_sketcher(clusters.COMPILED_FROM - 1)
    assert "pipeline.dataset.kernel" not in sys.modules
    clusters.prepare_sketcher(clusters.COMPILED_FROM)
    assert "pipeline.dataset.kernel" in sys.modules


def test_kernel_words_equal_arrows():
    """Including the known differences from Python's lower(), which is
    context- and locale-free in Arrow and the kernel: "İ" becomes "i" (Python:
    "i" and a combining dot that splits the word), a final "Σ" becomes "σ"
    (Python: "ς")."""
    texts = ["İstanbul và ĐẮK LẮK", "Số liệu 😀 năm 2024: 46/67 (68,7%)", "", "𐐀𐐁 ΣΑΣ Ａ x_y"]
    words, counts = kernel.words_of(texts)
    expected_words, expected_counts = smallbatch.words_of(texts)  # Arrow's lower case and split
    assert np.array_equal(words, expected_words) and np.array_equal(counts, expected_counts)
    assert counts[0] == 4 and len(re.findall(r"\w+", texts[0].lower())) == 5


def labelled_pairs():
    return [line.split("\t") for line in (DATA / "labelled_pairs.tsv").read_text().splitlines()[1:] if line]


def test_threshold_separates_the_labelled_bulk_pairs():
    """Pairs labelled by hand from the bulk corpus (ids only; texts read from shared)."""
    import gzip

    pairs = labelled_pairs()
    wanted = {doc for a, b, _ in pairs for doc in (a, b)}
    texts = {}
    with gzip.open(SHARED / "data" / "bulk" / "vntc_sample.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in wanted:
                texts[record["id"]] = pipeline_normalize(record["text"])
    wrong = []
    for a, b, label in pairs:
        found = clusters.jaccard(texts[a], texts[b])
        if (found >= clusters.COPY_JACCARD) != (label == "copy"):
            wrong.append((a, b, label, round(found, 3)))
        if label == "copy":  # and LSH makes it a candidate: it shares at least one band
            bands = [clusters.band_hashes(clusters.signature(texts[d])[1]) for d in (a, b)]
            assert (bands[0] == bands[1]).any(), (a, b)
    assert len(pairs) >= 24 and {p[2] for p in pairs} == {"copy", "distinct"}
    assert not wrong


def pipeline_normalize(text: str) -> str:
    from pipeline.lang.vntext import normalize

    return normalize(text)


# --- panel export and data dictionary --------------------------------------

@pytest.fixture(scope="module")
def exported(dataset_db, tmp_path_factory):
    """`vnfacts export panel` in every format, as a user runs it."""
    from conftest import run_cli

    path, _ = dataset_db
    out = tmp_path_factory.mktemp("panel")
    for fmt in ("csv", "parquet", "dta", "xlsx"):
        run_cli("export", "panel", "--format", fmt, "-o", out / f"panel.{fmt}", "--db", path)
    return out, query(path, "SELECT * FROM claims WHERE province IS NOT NULL")


def test_panel_csv_round_trips_through_the_csv_module(exported):
    import csv

    out, claims = exported
    raw = (out / "panel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read the Vietnamese right
    with open(out / "panel.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(claims)
    assert {"Nghệ An", "Hà Nam", "Thừa Thiên Huế"} & {r["province"] for r in rows} >= {"Nghệ An", "Hà Nam"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["as_of"]) for r in rows if r["as_of"])
    assert all(re.fullmatch(r"\d+", r["value"]) for r in rows if r["value"])  # no "46.0"
    assert {r["conflict"] for r in rows} == {"true", "false"}
    hanam = next(r for r in rows if r["value"] == "1020")
    assert (hanam["province_2025"], hanam["sources"], hanam["scope"]) == ("Ninh Bình", "2", "province")


def test_panel_parquet_has_real_types_in_pandas_and_polars(exported):
    import pandas as pd
    import polars as pl

    out, claims = exported
    frame = pd.read_parquet(out / "panel.parquet")
    assert str(frame["value"].dtype) == "Int64" and str(frame["conflict"].dtype) == "boolean"
    assert type(frame["as_of"].dropna().iloc[0]).__name__ == "date"
    schema = pl.read_parquet(out / "panel.parquet").schema
    assert (schema["as_of"], schema["value"], schema["sources"], schema["conflict"], schema["percent"]) == (
        pl.Date, pl.Int64, pl.Int64, pl.Boolean, pl.Float64)
    assert len(frame) == len(claims) and frame["conflict"].sum() == 4


def test_panel_dta_carries_variable_and_value_labels(exported):
    import pyreadstat

    out, claims = exported
    frame, meta = pyreadstat.read_dta(str(out / "panel.dta"))
    assert len(frame) == len(claims)
    labels = meta.variable_value_labels
    assert labels["indicator"][1] == "Party cell secretaries who are also the hamlet head"
    assert set(labels["status"].values()) == {"achieved", "target"} and labels["conflict"] == {0: "no", 1: "yes"}
    assert meta.column_names_to_labels["province_2025"].startswith("province after the 1 July 2025")
    row = frame[frame["value"] == 1020].iloc[0]
    assert labels["indicator"][row["indicator"]].startswith("Party cell secretaries")
    assert row["province"] == "Hà Nam" and str(row["as_of"].date()) == "2023-06-30"


def test_panel_xlsx_and_the_data_dictionary(exported):
    import pandas as pd

    out, claims = exported
    sheets = pd.read_excel(out / "panel.xlsx", sheet_name=None)
    assert len(sheets["panel"]) == len(claims) and set(sheets) == {"panel", "dictionary", "indicators"}
    schema = json.loads((out / "panel.schema.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for f in schema["fields"]}
    assert list(fields) == list(sheets["panel"].columns)
    assert fields["as_of"]["type"] == "date" and fields["value"]["type"] == "integer"
    assert "secretary_hamlet_head" in fields["indicator"]["constraints"]["enum"]
    assert all(f["description"] for f in schema["fields"])
    page = (out / "panel.dictionary.md").read_text(encoding="utf-8")
    assert "Bí thư chi bộ đồng thời là trưởng thôn" in page and "Party organisations" in page
    assert all(f"| {name} |" in page for name in fields)


def test_dta_and_xlsx_are_for_the_panel_only(dataset_db, tmp_path):
    from conftest import run_cli

    result = run_cli("export", "facts", "--format", "dta", "-o", tmp_path / "f.dta", "--db", dataset_db[0],
                     check=False)
    assert result.returncode == 2 and "for the panel" in result.stderr


# --- releases --------------------------------------------------------------

def test_two_releases_are_identical_and_valid(dataset_db, tmp_path):
    from frictionless import validate

    from conftest import run_cli

    path, _ = dataset_db
    for name in ("one", "two"):
        run_cli("release", tmp_path / name, "--db", path)
    one, two = tmp_path / "one", tmp_path / "two"
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
    assert all((one / p.name).read_bytes() == (two / p.name).read_bytes() for p in one.iterdir())
    report = validate(str(one / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:5]
    command = subprocess.run([str(Path(sys.executable).parent / "frictionless"), "validate", "datapackage.json"],
                             cwd=one, capture_output=True, text=True)
    assert command.returncode == 0 and command.stdout.count("VALID") == 6, command.stdout[-2000:]
    for line in (one / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib_sha256(one / name) == digest, name
    assert {"facts.parquet", "facts.csv", "claims.parquet", "documents.csv", "panel.parquet", "panel.csv",
            "CITATION.cff", "DICTIONARY.md"} <= {p.name for p in one.iterdir()}


def test_release_counts_and_versions_match_the_database(dataset_db, tmp_path):
    import pandas as pd

    from pipeline.dataset.release import write_release

    path, _ = dataset_db
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(path).read_bytes())
    with pipeline.connect(copy) as con:
        facts = write_release(con, tmp_path / "release")
        expected = con.execute("SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM documents), "
                               "(SELECT count(*) FROM claims), min(rules_version) FROM facts").fetchall()[0]
    assert (facts["counts"]["facts"], facts["counts"]["documents"], facts["counts"]["claims"]) == expected[:3]
    assert facts["rules_versions"] == [expected[3]]
    documents = pd.read_parquet(tmp_path / "release" / "documents.parquet")
    assert "text" not in documents.columns and documents["cluster"].notna().all()
    assert facts["published_from"] == "2017-11-20"


def hashlib_sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["kernel", "smallbatch"])
def sketched_by(request, monkeypatch):
    """Clustering through the compiled kernel for every batch, or through smallbatch for every batch."""
    if request.param == "kernel":
        monkeypatch.setattr(clusters, "COMPILED_FROM", 1)
    else:
        monkeypatch.setattr(clusters, "COMPILED_FROM", 10**9)
        monkeypatch.delitem(sys.modules, "pipeline.dataset.kernel", raising=False)
    assert clusters.sketcher(2) is {"kernel": kernel, "smallbatch": smallbatch}[request.param]
    return request.param


def test_clusters_grow_as_documents_are_stored(tmp_path, sketched_by):
    """Each call sketches only what was stored since; a changed text leaves
    its cluster (batches read from the database as Arrow, both ways of sketching)."""
    records = [json.loads(line) for line in SYNDICATED.read_text(encoding="utf-8").splitlines()]
    original, copy = records[0], records[1]
    unrelated = {**records[2], "id": "other", "text": "\n".join(reversed(SEED_LIKE))}
    with pipeline.connect(tmp_path / "grow.duckdb") as con:
        pipeline.ingest_records(con, [original, unrelated], "test")
        assert clusters.update_clusters(con) == 2
        pipeline.ingest_records(con, [copy], "test")
        assert clusters.update_clusters(con) == 1
        assert cluster_of(con, copy["id"]) == original["id"] and cluster_of(con, "other") == "other"
        pipeline.ingest_records(con, [{**copy, "text": unrelated["text"] + "\nMột câu thêm vào cuối bài."}], "test")
        assert clusters.update_clusters(con) == 1
        # now a copy of "other", and published before it: the earlier copy names the cluster
        assert cluster_of(con, copy["id"]) == cluster_of(con, "other") == copy["id"]
        assert cluster_of(con, original["id"]) == original["id"]
        assert con.execute("SELECT count(*) FROM document_pairs").fetchall() == [(1,)]


SEED_LIKE = [
    "Huyện đã hoàn thành việc sắp xếp các phòng chuyên môn theo đề án được phê duyệt trong năm.",
    "Các xã tổ chức hội nghị lấy ý kiến nhân dân về việc đặt tên đơn vị mới sau khi hợp nhất.",
    "Ban Thường vụ yêu cầu các cấp ủy tiếp tục rà soát, bố trí cán bộ dôi dư một cách hợp lý, công khai.",
]


def cluster_of(con, doc: str) -> str:
    return con.execute("SELECT cluster FROM document_clusters WHERE doc = ?", [doc]).fetchall()[0][0]


def test_an_empty_database_releases_the_same_schemas(dataset_db, tmp_path):
    from frictionless import validate

    from pipeline.dataset.release import write_release

    with pipeline.connect(tmp_path / "empty.duckdb") as con:
        facts = write_release(con, tmp_path / "empty")
    assert set(facts["counts"].values()) == {0} and facts["rules_versions"] == []
    assert validate(str(tmp_path / "empty" / "datapackage.json")).valid
    copy = tmp_path / "full.duckdb"
    copy.write_bytes(Path(dataset_db[0]).read_bytes())
    with pipeline.connect(copy) as con:
        write_release(con, tmp_path / "full")

    def fields(name):
        package = json.loads((tmp_path / name / "datapackage.json").read_text(encoding="utf-8"))
        return {r["name"]: [(f["name"], f["type"]) for f in r["schema"]["fields"]] for r in package["resources"]}

    assert fields("empty") == fields("full")


def test_claims_command_then_saved_query(dataset_db, tmp_path):
    import csv
    import io

    from conftest import run_cli

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(dataset_db[0]).read_bytes())
    with pipeline.connect(copy) as con:
        con.execute("DROP VIEW latest_figures; DROP VIEW place_history; DELETE FROM claims")  # tables: migration 4
    result = run_cli("claims", "--db", copy)
    assert re.search(r"0 documents sketched, \d+ claims, 2 conflicts", result.stderr)
    rows = list(csv.DictReader(io.StringIO(run_cli("query", "latest_figures", "--csv", "--db", copy).stdout)))
    assert {"Hà Nam", "Nghệ An"} <= {r["province"] for r in rows}


def test_measure_reports_costs_and_copy_shares(tmp_path, capsys):
    from pipeline.dataset import measure

    result = measure.main(["80", "--chunk", "40", "--db", str(tmp_path / "m.duckdb")])
    assert [c["documents"] for c in result["chunks"]] == [40, 80] and result["documents"] == 80
    assert all(c["cluster_cpu_s"] >= 0 and c["rss_mb"] > 0 for c in result["chunks"])
    assert 0 <= result["copies"] < 80 and 0 <= result["facts_in_copies"] <= result["facts"]
    assert json.loads(capsys.readouterr().out)["documents"] == 80


def test_ingest_links_copies_as_documents_are_stored(tmp_path):
    """`vnfacts ingest --clusters` sketches what it stored (issue 13); without it `vnfacts claims` does."""
    for flag, expected in ((["--clusters"], 10), ([], 0)):
        db = tmp_path / f"db{len(flag)}.duckdb"
        result = run_cli("ingest", "--db", db, *flag, SAMPLE)
        with pipeline.connect(db, read_only=True) as con:
            sketched = con.execute("SELECT count(*) FROM document_signatures").fetchall()[0][0]
        assert sketched == expected, result.stderr


def test_kernel_tables_are_pythons_for_every_code_point():
    """The word and lower-case tables the kernel reads equal Python's str
    methods one character at a time, above the BMP too (built there over one
    string)."""
    is_word, lower = kernel.tables(0x110000)
    chars = [chr(c) if not 0xD800 <= c < 0xE000 else " " for c in range(0x110000)]
    assert lower.tolist() == [ord(c.lower()[0]) for c in chars]
    assert is_word.tolist() == [c.lower()[0].isalnum() or c.lower()[0] == "_" for c in chars]
