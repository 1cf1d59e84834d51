"""Stages 3-4: segment (sentences, words, the pre-filter), then extract.

rules.py loads and validates rules/ (the notation, the lexicon); annotate.py
builds the spaCy Doc; facts.py matches rules and builds facts (fact.py: the
Fact dataclass and its table row; breakdown.py: the parts of a breakdown);
attributes.py decides a fact's attributes (with context.py, status.py,
dates.py, confidence.py) from the words around its number.
"""

import sys
import types


class _Stage(types.ModuleType):
    """`pipeline.extract(document, ruleset)` is stages 3-4 (pipeline.core.extract);
    the same name is this subpackage, so the module itself is callable."""

    def __call__(self, document: dict, ruleset=None, prefilter: bool = True) -> list:  # [Fact, ...]
        import pipeline

        return pipeline.extract_document(document, ruleset, prefilter)


sys.modules[__name__].__class__ = _Stage
