"""Options every command shares: --db, and the output formats (--table,
--csv, --json, --nl, as sqlite-utils has them)."""
from __future__ import annotations

import functools
import json
import shutil
import sys
import textwrap

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


def emit(frame: pd.DataFrame, fmt: str = "table", out=None, width: int | None = None) -> None:
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
        out.write(table(frame, width) + "\n")


def table(frame: pd.DataFrame, width: int | None = None) -> str:
    """An aligned table that fits `width` columns (default: the terminal's):
    text left-aligned and wrapped at spaces, so a Vietnamese syllable is never
    cut; numbers right-aligned, whole numbers without ".0"."""
    if frame.empty:
        return "(no rows)" if len(frame.columns) else ""
    width = width or shutil.get_terminal_size((120, 24)).columns
    columns = [[str(c)] + [cell(v) for v in frame[c]] for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    sizes = fit([max(len(line) for line in col) for col in columns], width)
    wrapped = [[textwrap.wrap(text, size) or [""] for text in col] for col, size in zip(columns, sizes)]
    lines = []
    for row in zip(*wrapped):
        for part in range(max(len(cell_lines) for cell_lines in row)):
            pieces = [(cl[part] if part < len(cl) else "") for cl in row]
            lines.append("  ".join(p.rjust(n) if num else p.ljust(n)
                                   for p, n, num in zip(pieces, sizes, numeric)).rstrip())
    return "\n".join(lines)


def cell(value) -> str:
    """How one value reads in a table: nothing for null, 112 for 112.0."""
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()  # DATEs arrive as midnight timestamps
    return " ".join(str(value).split())


def fit(sizes: list[int], width: int, narrowest: int = 8) -> list[int]:
    """Column widths that fit `width`: the widest columns give way first."""
    sizes = list(sizes)
    while sum(sizes) + 2 * (len(sizes) - 1) > width:
        widest = max(range(len(sizes)), key=sizes.__getitem__)
        if sizes[widest] <= narrowest:
            break
        sizes[widest] -= 1
    return sizes
