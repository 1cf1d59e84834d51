"""vnfacts: Vietnamese provincial news -> quantitative facts in DuckDB.

The library API. The stages, in the order written once in pipeline.core:

    clean -> normalize -> segment -> extract -> load

    import pipeline
    ruleset = pipeline.load_ruleset()
    document = pipeline.prepare({"id": "1", "html": page, "url": url})
    facts = pipeline.extract(document, ruleset)   # [pipeline.Fact, ...]
    with pipeline.connect("facts.duckdb") as con:
        pipeline.load(con, [document], facts, ruleset.version)

A fact is a `pipeline.Fact` (pipeline/extract/fact.py): the fields of
FACTS.md as attributes (fact.value, fact.status, fact.as_of), provenance
(fact.doc, fact.sentence, fact.start/end into the clean text, fact.rule_id),
fact.confidence and fact.evidence; fact.to_row() is its `facts` table row.
It also reads as a mapping (fact["value"], fact.get("level"), dict(fact)).

Names load on first use, so `import pipeline` (and `vnfacts --help`) stays
cheap: spaCy and underthesea load only when a stage runs.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module that defines it
_API = {
    "prepare": "pipeline.core", "load": "pipeline.core", "extract_document": "pipeline.core",
    "segment": "pipeline.core", "process_html": "pipeline.core",
    "extract_pending": "pipeline.core", "ExtractReport": "pipeline.core", "STAGES": "pipeline.core",
    "connect": "pipeline.store", "load_ruleset": "pipeline.extract.rules", "RuleError": "pipeline.extract.rules",
    "CleanError": "pipeline.clean", "ingest_paths": "pipeline.ingest", "ingest_records": "pipeline.ingest",
    "IngestReport": "pipeline.ingest",
    "extract_facts": "pipeline.extract.facts", "Fact": "pipeline.extract.fact",
    "prepare_batch": "pipeline.core", "extract_batch": "pipeline.core", "read_records": "pipeline.ingest",
    "record_batches": "pipeline.ingest", "MAX_DOC_CHARS": "pipeline.ingest",
    "rules_version": "pipeline.extract.version",   # the content hash, without compiling the rules
    "rules_folder": "pipeline.extract.version", "note_duplicate": "pipeline.ingest",
}
__all__ = sorted([*_API, "extract"])


def __getattr__(name: str):
    if name == "extract":  # the stage and its subpackage are one callable module
        import pipeline.extract
        return pipeline.extract
    if name not in _API:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value
