"""spaCy and underthesea imported without the parts the pipeline never calls.

Their `__init__`s import more than the Matcher, Doc and Vocab (spaCy) and
the sentence splitter and word segmenter (underthesea) the pipeline uses:
spaCy's command line (typer, weasel, requests) for `spacy.info`;
underthesea's POS, NER and chunking feature code, its language detector,
classifiers, parser and address converter. That was ~0.6 s of every
`vnfacts extract` on the bench machine (issue 11). While the two import,
those modules are stand-ins (StandIn) whose functions import the real
module when called. Afterwards the stand-ins leave sys.modules, so
`import spacy.cli`, `import underthesea.pipeline.ner` ... anywhere later
import the real thing (tests/test_startup.py). Import this module before
spaCy or underthesea.

joblib is not imported either (~0.1 s; issue 11): underthesea's text
normalizer reads its table with it, twice, at import (place_text_normalizer
puts in that module's place one with the same names, the table read once
with pickle: the file is a plain pickle of two dicts; anything unexpected,
another underthesea layout, leaves the real module to be imported), and its
CRF tagger module only saves and loads models with it (without_joblib).
"""
from __future__ import annotations

import importlib
import importlib.util
import pickle
import re
import sys
import types
from pathlib import Path

# module -> the names the importing package takes from it at import time
# (given as functions that import the real module when called)
SPACY = {"spacy.cli": (), "spacy.cli.info": ("info",)}
UNDERTHESEA = {f"underthesea.pipeline.{module}": (name,) for module, name in (
    ("chunking", "chunk"), ("ner", "ner"), ("pos_tag", "pos_tag"), ("lang_detect", "lang_detect"),
    ("classification", "classify"), ("sentiment", "sentiment"), ("dependency_parse", "dependency_parse"))}
UNDERTHESEA["underthesea.address"] = ("convert_address",)


class StandIn(types.ModuleType):
    """A module not imported yet: a name read from it imports it. Not a
    dunder: the import system asks every module for `__path__` and such."""

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(real(self.__name__), name)


def real(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), StandIn):
        del sys.modules[name]
    return importlib.import_module(name)


def deferred(module: str, name: str):
    def call(*args, **kwargs):
        return getattr(real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on first call (pipeline.extract.imports)."
    return call


def import_without(package: str, stand_ins: dict[str, tuple]) -> None:
    if package in sys.modules:
        return
    placed = {}
    for module, names in stand_ins.items():
        if module not in sys.modules:
            placed[module] = sys.modules[module] = StandIn(module)
            for name in names:
                setattr(placed[module], name, deferred(module, name))
    try:
        importlib.import_module(package)
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


TEXT_NORMALIZER = "underthesea.pipeline.text_normalize.text_normalizer"
RULE_FILE = re.compile(r'^rule_file = "([\w.]+\.bin)"', re.M)


def place_text_normalizer() -> None:
    """TEXT_NORMALIZER as a module of the same names, its table read once."""
    spec = importlib.util.find_spec("underthesea")  # the top package only: nothing is imported
    try:
        folder = Path(spec.origin).parent / "pipeline" / "text_normalize"
        rule_file = RULE_FILE.findall((folder / "text_normalizer.py").read_text(encoding="utf-8"))[-1]
        tables = pickle.loads((folder / rule_file).read_bytes())
        character_map, token_map = dict(tables["character"]), dict(tables["token"])
    except Exception:  # noqa: BLE001 - not the layout this was written for: underthesea's own module
        return
    module = types.ModuleType(TEXT_NORMALIZER, "underthesea's text_normalizer, its table read with pickle "
                                                "(pipeline.extract.imports)")
    module.__file__, module.rule_file = str(folder / "text_normalizer.py"), rule_file
    module.character_map, module.token_map = character_map, token_map
    module.text_normalizer = types.SimpleNamespace(character_map=character_map, token_map=token_map)
    sys.modules.setdefault(TEXT_NORMALIZER, module)


def without_joblib(module: str) -> types.ModuleType:
    """`module` imported with joblib standing in: underthesea's CRF tagger
    module calls joblib only to save or load a model the pipeline reads
    itself (segment.read_word_model)."""
    import_without(module, {"joblib": ()})
    return sys.modules[module]


import_without("spacy", SPACY)
if "underthesea" not in sys.modules:
    place_text_normalizer()
import_without("underthesea", UNDERTHESEA)
