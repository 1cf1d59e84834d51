"""Timed benchmark passes: each stage, end to end, the naive pipeline, load, re-extraction.

Every pass streams the corpus file and writes a fresh DuckDB file, and
returns its figures as a dict (see bench_measure.rates).
"""
from __future__ import annotations

import gc
import re
import sys
import time
from pathlib import Path

from pipeline.bench.corpus import iter_corpus, nbytes
from pipeline.bench.measure import MB, RssSampler, ingest_record, load_ruleset, rates

LOAD_BATCH_DOCS = 256          # documents per load batch in the staged pass
SYNTH_BATCH_ROWS = 100_000     # rows per replace_facts call in the 1M-row test
STAGES = ("clean", "normalize", "segment", "extract", "load")


def _is_segmented(sentence) -> bool:
    """Whether segment_document word-segmented this sentence (the pre-filter let it through)."""
    return any(getattr(sentence, name, None) is not None for name in ("words", "tokens"))


class _Timed:
    """Wrap a module function so the time spent in it is summed (restored on exit)."""

    def __init__(self, module, attr: str):
        self.module, self.attr = module, attr
        self.func = getattr(module, attr)
        self.seconds, self.calls = 0.0, 0

    def __call__(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t
            self.calls += 1

    def __enter__(self):
        setattr(self.module, self.attr, self)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.attr, self.func)


class _Batches:
    """Documents and their facts written per LOAD_BATCH_DOCS documents; ``seconds`` times the writes."""

    def __init__(self, con, rules_version: str):
        self.con, self.rules_version = con, rules_version
        self.docs: list[dict] = []
        self.facts: list[dict] = []
        self.seconds = 0.0

    def add(self, document: dict, facts: list[dict]) -> None:
        self.docs.append(document)
        self.facts.extend(facts)
        if len(self.docs) >= LOAD_BATCH_DOCS:
            self.flush()

    def flush(self) -> None:
        from pipeline import store
        if not self.docs:
            return
        t = time.perf_counter()
        store.upsert_documents(self.con, self.docs)
        store.replace_facts(self.con, [d["id"] for d in self.docs], self.facts, self.rules_version)
        self.seconds += time.perf_counter() - t
        self.docs.clear()
        self.facts.clear()


def run_stages(corpus: Path, limit: int | None, db_path: Path, ruleset) -> dict:
    """One streaming pass over the production functions, every stage timed on its own.

    clean = core.clean (clean_html, title); normalize = the rest of
    core.prepare_document (NFC/tone normalization, language check, hash);
    segment = segment_document(text, prefilter=True, ruleset.keywords);
    extract = extract_facts; load = store.upsert_documents + replace_facts
    per batch of LOAD_BATCH_DOCS documents into a fresh DuckDB file.
    clean is measured on HTML bytes, the other stages on clean-text bytes.
    """
    import pipeline
    from pipeline import core

    tally = dict.fromkeys(STAGES, 0.0) | dict(html_bytes=0, text_bytes=0, docs=0, facts=0, sentences=0,
                                              segmented=0, errors=0)
    con = pipeline.connect(db_path)
    batches = _Batches(con, ruleset.version)
    gc.collect()
    with RssSampler() as rss, _Timed(core, "clean") as clean_timer:
        wall = time.perf_counter()
        for html, meta in iter_corpus(corpus, limit):
            _time_one(html, meta, ruleset, clean_timer, tally, batches)
        batches.flush()
        wall = time.perf_counter() - wall
    con.close()
    tally["load"] = batches.seconds
    out = {name: rates(tally[name], tally["docs"], tally["html_bytes" if name == "clean" else "text_bytes"])
           for name in STAGES}
    out["_pass"] = {"wall_seconds": round(wall, 3), "docs": tally["docs"], "clean_errors": tally["errors"],
                    "facts": tally["facts"], "html_bytes": tally["html_bytes"], "text_bytes": tally["text_bytes"],
                    "sentences": tally["sentences"], "segmented_sentences": tally["segmented"],
                    "peak_rss_mb": round(rss.peak_mb, 1)}
    return out


def _time_one(html, meta, ruleset, clean_timer, tally: dict, batches) -> None:
    """Time one page through every stage; add to the tally and the load batch."""
    import pipeline

    clock = time.perf_counter
    tally["docs"] += 1
    tally["html_bytes"] += nbytes(html)
    before, t0 = clean_timer.seconds, clock()
    try:
        document = pipeline.prepare(ingest_record(html, meta))
    except pipeline.CleanError:
        tally["errors"] += 1
        tally["clean"] += clean_timer.seconds - before
        return
    t1 = clock()
    sents = pipeline.segment(document, ruleset)
    t2 = clock()
    facts = pipeline.extract_facts(document, sents, ruleset)
    cleaning = clean_timer.seconds - before
    tally["clean"] += cleaning
    tally["normalize"] += (t1 - t0) - cleaning
    tally["segment"] += t2 - t1
    tally["extract"] += clock() - t2
    tally["text_bytes"] += len(document["text"].encode("utf-8"))
    tally["sentences"] += len(sents)
    tally["segmented"] += sum(1 for x in sents if _is_segmented(x))
    tally["facts"] += len(facts)
    batches.add(document, facts)


def _process_html_loop(con, records, ruleset, counter: dict) -> None:
    """Single pass: core.process_html per page, batched store writes."""
    from pipeline import core
    from pipeline.clean import CleanError
    batches = _Batches(con, ruleset.version)
    for html, meta in records:
        counter["docs"] += 1
        counter["html_bytes"] += nbytes(html)
        try:
            doc_row, facts = core.process_html(html, meta, ruleset)
        except CleanError:
            continue
        batches.add(doc_row, facts)
    batches.flush()


E2E_ENTRIES = {
    "ingest+extract": "ingest.ingest_records (clean, normalize, store) then "
                      "core.extract_pending (segment, extract, store facts): the `vnfacts ingest`/`extract` path",
    "process_html": "core.process_html per page + batched store.upsert_documents/replace_facts: one pass",
}


def run_e2e(corpus: Path, limit: int | None, db_path: Path, ruleset=None,
            entry: str = "ingest+extract", collect: bool = True) -> dict:
    """Whole path, HTML on disk -> facts committed in a DuckDB file, timed as one."""
    from pipeline import store
    ruleset = ruleset or load_ruleset()
    counter = {"docs": 0, "html_bytes": 0}
    phases = {}
    if collect:
        gc.collect()
    with RssSampler() as rss:
        t = time.perf_counter()
        con = store.connect(db_path)
        if entry == "ingest+extract":
            phases = _ingest_then_extract(con, iter_corpus(corpus, limit), ruleset, counter, rss, t)
        else:
            _process_html_loop(con, iter_corpus(corpus, limit), ruleset, counter)
        con.execute("CHECKPOINT")
        facts, stored = con.execute(
            "SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM documents)").fetchall()[0]
        con.close()
        seconds = time.perf_counter() - t
    out = rates(seconds, counter["docs"], counter["html_bytes"])
    out.update(facts=facts, stored_docs=stored, entry=entry, peak_rss_mb=round(rss.peak_mb, 1),
               start_rss_mb=round(rss.start / 2**20, 1), **phases)
    return out


def _ingest_then_extract(con, pages, ruleset, counter: dict, rss: RssSampler, started: float) -> dict:
    """ingest.ingest_records then core.extract_pending; the time and memory of each phase."""
    from pipeline import core, ingest

    def records():
        for html, meta in pages:
            counter["docs"] += 1
            counter["html_bytes"] += nbytes(html)
            yield ingest_record(html, meta)

    report = ingest.ingest_records(con, records(), "bench")
    phases = {"ingest_seconds": round(time.perf_counter() - started, 3),
              "ingest_errors": len(report.errors),
              "ingest_error_examples": report.errors[:3],
              "peak_rss_ingest_mb": round(max(rss.peak, rss.process.memory_info().rss) / 2**20, 1)}
    core.extract_pending(con, ruleset=ruleset)
    phases["extract_seconds"] = round(time.perf_counter() - started - phases["ingest_seconds"], 3)
    return phases


_NUM = r"(\d[\d.,]*)"
NAIVE_PATTERNS = {  # what a researcher writes by hand: one regex per indicator
    "secretary_hamlet_head": _NUM + r"(?:/\d+)?\s+(?:đồng chí\s+)?bí thư chi bộ[^.]{0,60}?(?:kiêm|đồng thời là)\s+trưởng\s+(?:thôn|ấp|khóm|bản|khu phố|tổ dân phố)",
    "secretary_committee_chair": _NUM + r"(?:/\d+)?\s+(?:đồng chí\s+)?bí thư (?:đảng ủy|cấp ủy)[^.]{0,60}?(?:kiêm|đồng thời là)\s+chủ tịch (?:UBND|ủy ban)",
    "secretary_council_chair": _NUM + r"(?:/\d+)?\s+(?:đồng chí\s+)?(?:phó )?bí thư[^.]{0,60}?kiêm\s+chủ tịch (?:HĐND|hội đồng)",
    "concurrent_post": _NUM + r"\s+(?:mô hình|trường hợp|chức danh)\s+kiêm nhiệm",
    "non_local_leader": _NUM + r"\s+(?:đồng chí\s+)?(?:bí thư|chủ tịch)[^.]{0,40}?không (?:phải )?là người địa phương",
    "part_time_staff": _NUM + r"\s+người hoạt động không chuyên trách",
    "civil_servant": _NUM + r"\s+(?:biên chế|cán bộ, công chức|công chức|viên chức)",
    "leader_post": _NUM + r"\s+(?:lãnh đạo cấp phòng|cấp trưởng|cấp phó)",
    "admin_unit": _NUM + r"\s+(?:đơn vị hành chính|xã, phường, thị trấn|xã|phường|huyện)",
    "hamlet": _NUM + r"\s+(?:thôn|ấp|khóm|bản|khu phố|tổ dân phố|khu dân cư)",
    "agency": _NUM + r"\s+(?:đầu mối|sở, ban, ngành|phòng, ban|chi cục|cơ quan)",
    "public_service_unit": _NUM + r"\s+đơn vị sự nghiệp",
    "party_org": _NUM + r"\s+(?:tổ chức cơ sở đảng|đảng bộ|chi bộ)",
    "voter_approval": r"(\d[\d,]*)\s*%\s+(?:cử tri|phiếu)[^.]{0,30}?đồng ý",
}


def run_naive(corpus: Path, limit: int | None, db_path: Path) -> dict:
    """The naive pipeline on the benchmark corpus (see run_naive_pages)."""
    return run_naive_pages(iter_corpus(corpus, limit), db_path)


def run_naive_pages(pages, db_path: Path) -> dict:
    """trafilatura.extract, word_tokenize every sentence, a regex per indicator, INSERT per fact."""
    import duckdb
    import trafilatura

    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in NAIVE_PATTERNS.items()}
    tally = {"docs": 0, "html_bytes": 0, "facts": 0, "sentences": 0}
    gc.collect()
    with RssSampler() as rss:
        t = time.perf_counter()
        con = duckdb.connect(str(db_path))
        con.execute("CREATE TABLE facts (doc TEXT, indicator TEXT, value TEXT, quote TEXT, sentence TEXT)")
        for html, meta in pages:
            tally["docs"] += 1
            tally["html_bytes"] += nbytes(html)
            _naive_text(con, trafilatura.extract(html) or "", meta.get("id"), patterns, tally)
        con.close()
        seconds = time.perf_counter() - t
    out = rates(seconds, tally["docs"], tally["html_bytes"])
    out.update(facts=tally["facts"], sentences=tally["sentences"], peak_rss_mb=round(rss.peak_mb, 1))
    return out


def _naive_text(con, text: str, doc_id, patterns: dict, tally: dict) -> None:
    from underthesea import sent_tokenize, word_tokenize

    for line in text.split("\n"):
        for sentence in sent_tokenize(line) if line.strip() else []:
            tally["sentences"] += 1
            joined = " ".join(word_tokenize(sentence))
            for indicator, pattern in patterns.items():
                for match in pattern.finditer(joined):
                    con.execute("INSERT INTO facts VALUES (?, ?, ?, ?, ?)",
                                [doc_id, indicator, match.group(1), match.group(0), sentence])
                    tally["facts"] += 1


def synthetic_facts(start: int, count: int, rules_version: str, per_doc: int = 5) -> list[dict]:
    """Plausible fact rows (all store columns) for the load test."""
    indicators = list(NAIVE_PATTERNS)
    levels = ["hamlet", "commune", "district", "province", None]
    provinces = ["Bến Tre", "Bạc Liêu", "Thanh Hóa", "Quảng Ninh", "Đắk Lắk", "Hà Giang"]
    rows = []
    for n in range(start, start + count):
        value = (n * 7919) % 5000
        rows.append({
            "doc": f"synthetic-{n // per_doc:07d}",
            "indicator": indicators[n % len(indicators)],
            "value": float(value), "total": float(value + 17) if n % 3 == 0 else None,
            "percent": round((n % 1000) / 10, 1) if n % 4 == 0 else None,
            "approx": "exact", "change": ("count", "decrease", "increase")[n % 3],
            "status": "achieved" if n % 5 else "target", "over_plan_percent": None,
            "level": levels[n % 5], "locality": f"huyện Số {n % 700}",
            "province": provinces[n % 6], "province_2025": provinces[(n + 1) % 6],
            "as_of": f"20{10 + n % 15}-{1 + n % 12:02d}-28", "target_year": 2025 if n % 5 == 0 else None,
            "quote": f"{value} thôn, tổ dân phố được sáp nhập", "sentence": f"Đến nay toàn tỉnh có {value} thôn, tổ dân phố được sáp nhập.",
            "confidence": 0.9, "start": n % 2000, "end": n % 2000 + 30, "rule_id": f"r{n % 40}", "rules_version": rules_version,
        })
    return rows


def run_load(rows: int, db_path: Path, batch_rows: int = SYNTH_BATCH_ROWS) -> dict:
    """Load ``rows`` synthetic facts through store.replace_facts into a fresh DB file."""
    from pipeline import store
    version = "bench-synthetic"
    con = store.connect(db_path)
    load_seconds = gen_seconds = 0.0
    done = 0
    gc.collect()
    with RssSampler() as rss:
        while done < rows:
            count = min(batch_rows, rows - done)
            t = time.perf_counter()
            facts = synthetic_facts(done, count, version)
            doc_ids = sorted({f["doc"] for f in facts})
            gen_seconds += time.perf_counter() - t
            t = time.perf_counter()
            store.replace_facts(con, doc_ids, facts, version)
            load_seconds += time.perf_counter() - t
            done += count
            del facts
        stored = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    con.close()
    return {"rows": rows, "stored": stored, "seconds": round(load_seconds, 3),
            "rows_per_s": round(rows / load_seconds) if load_seconds else None,
            "batch_rows": batch_rows, "generate_seconds_excluded": round(gen_seconds, 3),
            "db_mb": round(db_path.stat().st_size / MB, 1), "peak_rss_mb": round(rss.peak_mb, 1)}


class _CallCounter:
    """Pass calls through to ``func``, counting them."""

    def __init__(self, func):
        self.func, self.calls = func, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.func(*args, **kwargs)


def _patch_everywhere(owner, attr: str, counter: _CallCounter) -> list[tuple]:
    """Replace ``owner.attr`` and every pipeline.* module's imported copy with the counter."""
    original = counter.func
    patched = []
    for name, module in list(sys.modules.items()):
        if module is None or not (module is owner or name.startswith("pipeline")):
            continue
        if getattr(module, attr, None) is original:
            setattr(module, attr, counter)
            patched.append((module, attr, original))
    return patched


def run_reextract(db_path: Path) -> dict:
    """Time core.extract_pending(con, everything=True) on an ingested DB; count cleaning calls.

    Re-extraction after a rules change must read the stored clean text: any call to
    clean_html, clean_text, core.clean or trafilatura.extract is a failure.
    """
    import trafilatura

    from pipeline import clean, core, store
    counters = {
        "clean_html": _CallCounter(clean.clean_html),
        "clean_text": _CallCounter(clean.clean_text),
        "core.clean": _CallCounter(core.clean),
        "trafilatura.extract": _CallCounter(trafilatura.extract),
    }
    patched = _patch_everywhere(clean, "clean_html", counters["clean_html"])
    patched += _patch_everywhere(clean, "clean_text", counters["clean_text"])
    patched += _patch_everywhere(core, "clean", counters["core.clean"])
    patched += _patch_everywhere(trafilatura, "extract", counters["trafilatura.extract"])
    con = store.connect(db_path)
    try:
        docs, chars = con.execute(
            "SELECT count(*), sum(octet_length(encode(text))) FROM documents").fetchall()[0]
        gc.collect()
        with RssSampler() as rss:
            t = time.perf_counter()
            report = core.extract_pending(con, everything=True)
            seconds = time.perf_counter() - t
        facts = con.execute("SELECT count(*) FROM facts").fetchall()[0][0]
    finally:
        con.close()
        for module, attr, original in reversed(patched):
            setattr(module, attr, original)
    out = rates(seconds, int(docs), int(chars or 0))
    out.update(facts=facts, reported_documents=getattr(report, "documents", None),
               cleaning_calls={k: c.calls for k, c in counters.items()},
               clean_calls=sum(c.calls for c in counters.values()),
               peak_rss_mb=round(rss.peak_mb, 1))
    return out
