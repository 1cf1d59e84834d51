"""spaCy imported without its command line.

spaCy's `__init__` imports `spacy.cli` (typer, weasel, requests: ~0.2 s of
the ~0.6 s `import spacy` takes, issue 11) for one name, `spacy.info`. The
pipeline uses the Matcher, Doc and Vocab only, so while spaCy is imported
here, `spacy.cli.info` is a stand-in whose `info` imports the real one when
called; afterwards the stand-ins are gone, and `import spacy.cli` anywhere
later imports the real command line (tests/test_startup.py checks both).
Import this module before any spaCy module.
"""
from __future__ import annotations

import sys
import types


def info(*args, **kwargs):
    """spacy.info: the real one, imported on first call."""
    from spacy.cli.info import info as real

    return real(*args, **kwargs)


def import_spacy() -> None:
    if "spacy" in sys.modules:
        return
    stand_ins = {"spacy.cli": types.ModuleType("spacy.cli"), "spacy.cli.info": types.ModuleType("spacy.cli.info")}
    stand_ins["spacy.cli.info"].info = info
    sys.modules.update(stand_ins)
    try:
        import spacy  # noqa: F401
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


import_spacy()
