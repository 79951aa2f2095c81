"""docs/token-format.md must stay true: its worked example runs and verifies."""

import json
import re
from pathlib import Path

from certificates.token import key_from_jwk, read_token

DOC = Path(__file__).resolve().parents[2] / "docs" / "token-format.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_worked_example_runs_with_cryptography_only(capsys):
    [example] = _blocks("python")
    namespace: dict = {}
    exec(compile(example, str(DOC), "exec"), namespace)  # our own documentation
    printed = capsys.readouterr().out
    expected = re.search(r"It prints:\n\n```\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    assert printed == expected
    # The reference implementation accepts the same token with the published key.
    key = key_from_jwk(namespace["jwk"])
    claims = read_token(namespace["token"], {key.kid: key.public_key})
    assert claims.holder_name == namespace["claims"]["n"]


def test_keys_document_example_is_a_valid_jwk():
    keys = json.loads(_blocks("json")[0])
    for entry in keys["keys"]:
        assert set(entry) == {"kid", "alg", "kty", "crv", "x", "status", "valid_from", "valid_until"}
        assert key_from_jwk(entry).kid == entry["kid"]
