"""The evaluation floors of tests/floors.yaml and one check of a score
against them that names every figure below its floor."""
from __future__ import annotations

from pathlib import Path

import yaml

FLOORS_FILE = Path(__file__).resolve().parent / "floors.yaml"
FLOORS = yaml.safe_load(FLOORS_FILE.read_text(encoding="utf-8"))


def measured(result) -> dict:
    """The figures a floor can pin, from an Evaluation."""
    return {"f1": result.overall.f1, "precision": result.overall.precision, "recall": result.overall.recall,
            "strict_f1": result.strict.f1, "attributes": result.attribute_accuracy()}


def below_floors(result, name: str) -> list[str]:
    """'set: figure measured < floor' for every figure under its floor."""
    floors, found = FLOORS[name], measured(result)
    low = [f"{name}: {key} {found[key]:.4f} < {floors[key]}" for key in ("f1", "precision", "recall", "strict_f1")
           if key in floors and found[key] < floors[key]]
    for attribute, floor in (floors.get("attributes") or {}).items():
        value = found["attributes"].get(attribute)
        if value is None or value < floor:
            low.append(f"{name}: {attribute} accuracy {value} < {floor}")
    return low
