"""`vnfacts release DIR`: a frozen, citable snapshot of the database.

DIR gets every table as Parquet and CSV (facts, claims, their sources and
conflicts, documents' metadata, the panel), a Frictionless datapackage.json
describing the CSV files with their schemas and hashes, the data
dictionary as text, release.json (rules versions, date range, counts),
CITATION.cff and SHA256SUMS. Nothing depends on the clock or the machine:
two releases of the same database are byte-identical.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

import pipeline
from pipeline.dataset import dictionary, panel
from pipeline.store import dataset as sql

KEYS = {"facts": None, "documents": ["id"], "claims": ["claim"], "claim_sources": None,
        "claim_conflicts": None, "panel": ["claim"]}
TITLES = {
    "facts": "Facts: one quantitative statement in one document, with provenance",
    "documents": "Documents: metadata of every source article and its near-duplicate cluster",
    "claims": "Claims: one figure with all the documents that state it",
    "claim_sources": "The documents, sites and quotes behind each claim",
    "claim_conflicts": "Pairs of claims that give incompatible numbers for the same indicator, place, level and date",
    "panel": "Panel: province (63 and 2025 naming) x indicator x date, one row per claim",
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_tables(frames: dict[str, pd.DataFrame], directory: Path) -> dict[str, dict]:
    """Each table as NAME.parquet and NAME.csv; returns its schema and row count."""
    described = {}
    for name, frame in frames.items():
        frame = panel.typed(frame)
        panel.write_parquet(frame, directory / f"{name}.parquet")
        panel.write_csv(frame, directory / f"{name}.csv")
        described[name] = {"schema": dictionary.table_schema(frame, KEYS[name]), "rows": len(frame)}
    return described


def resource(name: str, schema: dict, directory: Path) -> dict:
    path = directory / f"{name}.csv"
    return {"name": name, "path": path.name, "profile": "tabular-data-resource", "title": TITLES[name],
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "hash": f"sha256:{sha256(path)}", "bytes": path.stat().st_size, "schema": schema}


def summary(frames: dict[str, pd.DataFrame], versions: list[str], described: dict) -> dict:
    published = pd.to_datetime(frames["documents"]["published"], errors="coerce").dropna()
    dates = [d.date().isoformat() for d in (published.min(), published.max())] if len(published) else [None, None]
    return {"vnfacts_version": pipeline.__version__, "rules_versions": versions,
            "published_from": dates[0], "published_to": dates[1],
            "counts": {name: info["rows"] for name, info in described.items()},
            "conflicts": int(frames["claims"]["conflict"].sum()) if len(frames["claims"]) else 0}


def datapackage(described: dict, facts: dict, directory: Path) -> dict:
    version = "+".join(facts["rules_versions"]) or "none"
    return {"profile": "tabular-data-package", "name": "vnfacts-release",
            "title": "vnfacts: Vietnamese press figures on the streamlining of the administrative apparatus",
            "version": f"{pipeline.__version__}+rules.{version}",
            "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
            "description": "Derived data only: figures, quotes and metadata; article texts stay with their publishers.",
            "temporalCoverage": {"start": facts["published_from"], "end": facts["published_to"]},
            "resources": [resource(name, info["schema"], directory) for name, info in described.items()]}


def citation(facts: dict) -> str:
    version = "+".join(facts["rules_versions"]) or "none"
    return "\n".join([
        "cff-version: 1.2.0",
        "message: If you use this dataset, please cite it as below.",
        'title: "vnfacts: figures on the streamlining of the political and administrative apparatus '
        'from the Vietnamese provincial press"',
        "type: dataset",
        "authors:",
        "  - name: vnfacts contributors",
        f'version: "{pipeline.__version__}+rules.{version}"',
        f'date-released: "{facts["published_to"] or "1970-01-01"}"',
        "license: CC-BY-4.0",
        "",
    ])


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_release(con, directory: str | Path, with_text: bool = False) -> dict:
    """Refresh clusters and claims, then freeze everything into directory."""
    from pipeline.dataset import refresh

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    refresh(con)
    frames = sql.release_frames(con, with_text)
    described = write_tables(frames, directory)
    facts = summary(frames, sql.rules_versions(con), described)
    write_json(directory / "release.json", facts)
    write_json(directory / "datapackage.json", datapackage(described, facts, directory))
    (directory / "DICTIONARY.md").write_text(dictionary_page(described), encoding="utf-8")
    (directory / "CITATION.cff").write_text(citation(facts), encoding="utf-8")
    write_checksums(directory)
    return facts


def dictionary_page(described: dict) -> str:
    sections = [dictionary.fields_section(f"{name}: {TITLES[name]}", info["schema"]) for name, info in described.items()]
    return "\n".join([*sections, dictionary.indicators_section()])


def write_checksums(directory: Path) -> None:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    lines = [f"{sha256(p)}  {p.name}" for p in files]
    (directory / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
