"""Options every command shares: --db, and the output formats (--table,
--csv, --json, --nl, as sqlite-utils has them)."""
from __future__ import annotations

import functools
import json
import sys

import click
import pandas as pd

from pipeline.paths import DEFAULT_DB

FORMATS = ("table", "csv", "json", "nl")


def db_option(create: bool = False, name: str = "db_path"):
    """--db, declared once. The default comes from the package (pipeline.paths),
    not the current folder. Commands that only read (create=False) refuse a
    missing file: store.connect says so, naming the path."""
    note = "created if missing" if create else "must exist"

    def decorate(command):
        return click.option("--db", name, default=str(DEFAULT_DB), show_default=True, metavar="FILE",
                            type=click.Path(dir_okay=False), help=f"DuckDB database file ({note})")(command)
    return decorate


def output_options(command):
    """Add --table/--csv/--json/--nl to a command, which receives one `fmt`;
    two of them together are an error, not the last one silently."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        chosen = [name for name in FORMATS if kwargs.pop(f"as_{name}")]
        if len(chosen) > 1:
            raise click.ClickException(f"choose one output format, not {' and '.join('--' + c for c in chosen)}")
        return command(*args, fmt=chosen[0] if chosen else "table", **kwargs)

    for name, text in reversed([("table", "aligned table (default)"), ("csv", "CSV with a header"),
                                ("json", "one JSON array"), ("nl", "JSON Lines, one object a line")]):
        run = click.option(f"--{name}", f"as_{name}", is_flag=True, help=text)(run)
    return run


def jsonable(frame: pd.DataFrame) -> list[dict]:
    rows = json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))
    for row in rows:  # DuckDB DATEs come back as midnight timestamps
        for key, value in row.items():
            if isinstance(value, str) and value.endswith("T00:00:00.000"):
                row[key] = value[:10]
    return rows


def emit(frame: pd.DataFrame, fmt: str = "table", out=None) -> None:
    out = out or sys.stdout
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "json":
        json.dump(jsonable(frame), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "nl":
        for row in jsonable(frame):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        out.write(table(frame) + "\n")


def table(frame: pd.DataFrame, width: int = 60) -> str:
    if frame.empty:
        return "(no rows)" if len(frame.columns) else ""
    frame = frame.copy()
    for column in frame.select_dtypes("datetime").columns:  # DATEs arrive as timestamps
        if (frame[column].dropna().dt.normalize() == frame[column].dropna()).all():
            frame[column] = frame[column].dt.date
    shown = frame.astype(object).where(frame.notna(), "")
    shown = shown.map(lambda v: (str(v)[: width - 1] + "…") if len(str(v)) > width else v)
    return shown.to_string(index=False)
