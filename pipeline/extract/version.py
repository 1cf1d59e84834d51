"""The rules version without compiling the rules: a content hash of the rule
files. `vnfacts extract` with nothing pending reads it to find that out, and
loads neither spaCy nor the segmenter (issue 11); rules.load_ruleset stamps
the same hash on the compiled rule set."""
from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.paths import RULES_DIR


def rules_folder(rules_dir: str | Path | None = None) -> Path:
    """The rules folder in use: rules_dir, else $VNFACTS_RULES, else rules/."""
    return Path(rules_dir or RULES_DIR).resolve()


def rules_version(rules_dir: str | Path | None = None) -> str:
    """Content hash of every rule file: changes whenever a rule changes."""
    folder = rules_folder(rules_dir)
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")) + sorted((folder / "indicators").glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
