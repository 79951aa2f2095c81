"""Reading the shipped criteria (framework, blueprints) and authored item files from `content/`.

Plain data in, plain dicts out; the service stores them. Every problem raises CriteriaError naming the
file and the entry, because a broken criteria file must never half-load."""

import hashlib
import string
import unicodedata
from pathlib import Path

import yaml

from question_bank.scoring import validate_blueprint

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LETTERS = string.ascii_uppercase


class CriteriaError(ValueError):
    pass


def nfc(value):
    """NFC-normalise every string inside a YAML structure."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    return value


def _read_yaml(path: Path):
    raw = path.read_bytes()
    return nfc(yaml.safe_load(raw)), hashlib.sha256(raw).hexdigest()


def read_framework(directory: Path = CONTENT_DIR) -> dict:
    data, digest = _read_yaml(directory / "framework.yaml")
    data["sha256"] = digest
    seen = set()
    for area in data["areas"]:
        for competence in area["competences"]:
            if competence["code"] in seen:
                raise CriteriaError(f"framework.yaml: mã năng lực trùng {competence['code']}")
            if not competence["code"].startswith(area["code"] + "."):
                raise CriteriaError(f"framework.yaml: {competence['code']} không thuộc lĩnh vực {area['code']}")
            seen.add(competence["code"])
    return data


def read_blueprints(framework: dict, directory: Path = CONTENT_DIR) -> list[dict]:
    """The blueprints, each with ``areas`` (the areas of its cells, in the framework's order) added
    and checked whole by ``scoring.validate_blueprint``: a rule that could not score an attempt
    is refused here, when it is loaded, not at the first submit."""
    data, _ = _read_yaml(directory / "blueprints.yaml")
    codes = {"audiences": [a["code"] for a in framework["audiences"]],
             "areas": [a["code"] for a in framework["areas"]],
             "levels": [lv["code"] for lv in framework["levels"]]}
    for bp in data["blueprints"]:
        covered = {cell.get("area") for cell in bp.get("cells") or [] if isinstance(cell, dict)}
        bp["areas"] = [code for code in codes["areas"] if code in covered]
        try:
            validate_blueprint(bp, **codes)
        except ValueError as error:
            raise CriteriaError(f"blueprints.yaml: {error}") from None
    return data["blueprints"]


def read_item_files(directory: Path = CONTENT_DIR / "items") -> list[dict]:
    """Authored items (letters for keys) as interchange dicts (0-based indices), retired ones included
    (``status`` says which)."""
    items = []
    for path in sorted(directory.glob("*.yaml")):
        data, _ = _read_yaml(path)
        for entry in data.get("items") or []:
            items.append(authored_to_interchange(entry, f"{path.name}: {entry.get('code')}"))
    return items


def authored_to_interchange(entry: dict, where: str) -> dict:
    kind = entry.get("type")
    options = entry.get("options") or []
    key = entry.get("key")
    if kind == "single_choice":
        key = _letter_index(key, options, where)
    elif kind == "multiple_response":
        if not isinstance(key, list):
            raise CriteriaError(f"{where}: đáp án nhiều lựa chọn phải là danh sách chữ cái")
        key = sorted(_letter_index(k, options, where) for k in key)
    elif kind == "ordering":
        key = None
    return {
        "code": entry.get("code"),
        "type": kind,
        "stem": entry.get("stem", ""),
        "options": options,
        "key": key,
        "explanation": entry.get("explanation") or "",
        "competence": entry.get("competence"),
        "level": entry.get("level"),
        "audiences": entry.get("audiences") or [],
        "source": entry.get("source"),
        "enemy_group": entry.get("enemy_group"),
        "status": _status(entry, where),
        "retired_reason": entry.get("retired_reason"),
    }


def _status(entry: dict, where: str) -> str:
    """`active` (the default) or `retired`; a retired item keeps its code, never reused, and says why."""
    status = entry.get("status", "active")
    if status not in ("active", "retired"):
        raise CriteriaError(f"{where}: trạng thái phải là active hoặc retired (nhận được {status!r})")
    if status == "retired" and not entry.get("retired_reason"):
        raise CriteriaError(f"{where}: câu hỏi ngừng dùng phải có retired_reason")
    return status


def _letter_index(letter, options, where) -> int:
    if not isinstance(letter, str) or len(letter) != 1 or LETTERS.find(letter.upper()) >= len(options):
        raise CriteriaError(f"{where}: đáp án {letter!r} không ứng với phương án nào")
    return LETTERS.index(letter.upper())
