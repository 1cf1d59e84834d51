"""Stages 3-4: segment (sentences, words, the pre-filter), then extract.

rules.py loads and validates rules/ (the notation, the lexicon); annotate.py
builds the spaCy Doc; facts.py matches rules and builds facts; context.py
decides a fact's attributes from the words around its number.
"""

import sys
import types


class _Stage(types.ModuleType):
    """`pipeline.extract(document, ruleset)` is stages 3-4 (pipeline.core.extract);
    the same name is this subpackage, so the module itself is callable."""

    def __call__(self, document: dict, ruleset=None, prefilter: bool = True) -> list[dict]:
        import pipeline

        return pipeline.extract_document(document, ruleset, prefilter)


sys.modules[__name__].__class__ = _Stage
