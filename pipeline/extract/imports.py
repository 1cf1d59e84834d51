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
"""
from __future__ import annotations

import importlib
import sys
import types

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


import_without("spacy", SPACY)
import_without("underthesea", UNDERTHESEA)
