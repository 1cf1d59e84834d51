"""The house: subpackages by job, imports in one direction, the library API."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline

PACKAGE = Path(pipeline.__file__).parent
# Lower layers first; a module may import only its own layer's package or
# the layers below it (pipeline/__init__ is the API, usable from above core).
LAYERS = [["paths"], ["datacache"], ["regex_cache"], ["lang"], ["clean"], ["extract"], ["store"], ["core"], ["ingest"],
          ["crawl", "quality", "bench", "dataset", "scale"], ["serve"], ["cli"]]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
# The CLI and the crawler reach the stages only through the API.
API_ONLY = {"cli", "crawl", "serve", "scale"}
INTERNALS = {"clean", "extract", "core", "ingest"}


def unit_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def imported_units(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "pipeline" else [f"pipeline.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "pipeline" and len(parts) > 1 and parts[1] in LAYER_OF:
                found.append((node.lineno, parts[1]))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path):
    unit = unit_of(path)
    for line, target in imported_units(path):
        if target == unit:
            continue
        assert LAYER_OF[target] < LAYER_OF[unit], f"{path}:{line}: {unit} imports {target} (a layer above or beside it)"
        if unit in API_ONLY:
            assert target not in INTERNALS, f"{path}:{line}: {unit} imports pipeline.{target}; use the API (pipeline.X)"


def test_no_module_over_400_lines():
    long = [f"{p.relative_to(PACKAGE)}: {n}" for p in MODULES if (n := len(p.read_text().splitlines())) > 400]
    assert not long


def test_no_function_over_40_lines():
    long = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 40:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not long, long


def test_api_names_resolve():
    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, name


def test_import_pipeline_is_cheap():
    """`import pipeline` must not load spaCy or underthesea (the API is lazy)."""
    code = "import sys, pipeline; print(sorted(m for m in ('spacy', 'underthesea', 'scrapy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
