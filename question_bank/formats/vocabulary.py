"""Codes of the competence framework, as the spreadsheet formats show and accept them.

Read from the shipped framework (question_bank/content/framework.yaml), the one place where
levels, audiences and competences are defined.
"""

import functools
from pathlib import Path

import yaml

FRAMEWORK_PATH = Path(__file__).resolve().parent.parent / "content" / "framework.yaml"


@functools.cache
def _framework() -> dict:
    return yaml.safe_load(FRAMEWORK_PATH.read_text(encoding="utf-8"))


def levels() -> list[tuple[str, str]]:
    """(code, name) of each level, lowest first."""
    entries = sorted(_framework()["levels"], key=lambda level: level["rank"])
    return [(level["code"], level["name"]) for level in entries]


def audiences() -> list[tuple[str, str]]:
    return [(audience["code"], audience["name"]) for audience in _framework()["audiences"]]


def competences() -> list[tuple[str, str]]:
    return [
        (competence["code"], competence["name"])
        for area in _framework()["areas"]
        for competence in area["competences"]
    ]
