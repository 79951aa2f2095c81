import base64
import hashlib
import hmac
import json
import random
import string
import unicodedata
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates.token import (
    InvalidToken,
    TokenKey,
    issue_token,
    key_from_jwk,
    kid_for,
    peek,
    public_jwk,
    read_token,
    signature_holds,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def sign_raw(key: TokenKey, header: dict | str, payload: dict | str) -> str:
    """A token with arbitrary header/payload JSON, genuinely signed by ``key``."""
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    p = (
        payload
        if isinstance(payload, str)
        else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    )
    signing_input = f"{b64(h.encode())}.{b64(p.encode())}"
    return f"{signing_input}.{b64(key.private_key.sign(signing_input.encode()))}"


@pytest.fixture
def key():
    return TokenKey.generate()


@pytest.fixture
def keyring(key):
    return {key.kid: key.public_key}


@pytest.fixture
def token(key, make_claims):
    return issue_token(make_claims(), key)


def payload_of(token: str) -> dict:
    return json.loads(unb64(token.split(".")[1]))


def test_round_trip(key, keyring, make_claims):
    claims = make_claims()
    token = issue_token(claims, key)
    read = read_token(token, keyring)
    assert read.holder_name == "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo"
    assert read.kid == key.kid
    assert read.as_dict() | {"kid": None} == claims.as_dict()
    assert peek(token) == (key.kid, claims.public_id)


def test_signature_holds_only_for_the_signing_key_and_the_exact_bytes(token, key):
    assert signature_holds(token, key.public_key)
    assert not signature_holds(token, TokenKey.generate().public_key)
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert not signature_holds(f"{header}.{payload}.{flipped}", key.public_key)
    assert not signature_holds(f"{header}.{payload[:-2]}.{signature}", key.public_key)
    for garbage in ("", "a.b", "a.b.c", f"{header}.{payload}", None):
        assert not signature_holds(garbage, key.public_key)


def test_header_is_exactly_alg_kid_typ(token, key):
    header = json.loads(unb64(token.split(".")[0]))
    assert header == {"alg": "EdDSA", "kid": key.kid, "typ": "shc1"}


def test_payload_has_no_personal_identifiers(token):
    payload = payload_of(token)
    assert set(payload) == {"id", "n", "u", "c", "p", "i", "e"}
    text = json.dumps(payload, ensure_ascii=False).lower()
    assert "@" not in text and "cccd" not in text


def test_issue_accepts_a_mapping_and_normalizes_to_nfc(key, keyring):
    nfd_name = unicodedata.normalize("NFD", "Trần Thị Ánh Nguyệt")
    token = issue_token(
        {
            "public_id": "AAAAAAAAAAAAAAAAAAAAAA",
            "holder_name": nfd_name,
            "unit_code": "BTR-STTTT",
            "classification": "dat",
            "percent": 70,
            "issue_date": date(2026, 1, 2),
            "expiry_date": None,
        },
        key,
    )
    claims = read_token(token, keyring)
    assert claims.holder_name == unicodedata.normalize("NFC", nfd_name) != nfd_name
    assert claims.expiry_date is None and claims.percent == 70


@pytest.mark.parametrize(
    "override",
    [
        {"public_id": "not-a-public-id"},
        {"holder_name": "  "},
        {"unit_code": "có dấu"},
        {"percent": 100.5},
        {"percent": float("nan")},
        {"percent": True},
        {"issue_date": "2026-03-15"},
        {"expiry_date": date(2026, 3, 14)},
    ],
)
def test_issue_rejects_bad_claims(key, make_claims, override):
    with pytest.raises(ValueError):
        issue_token(make_claims(**override), key)


def test_cannot_sign_with_verify_only_key(key, make_claims):
    with pytest.raises(ValueError):
        issue_token(make_claims(), TokenKey(kid=key.kid, private_key=None, public_key=key.public_key))


# --- attacks: every one must end in InvalidToken ------------------------------------------------


def test_other_key_with_same_kid(key, keyring, make_claims):
    impostor = Ed25519PrivateKey.generate()
    forged_key = TokenKey(kid=key.kid, private_key=impostor, public_key=impostor.public_key())
    forged = issue_token(make_claims(), forged_key)
    assert peek(forged)[0] == key.kid
    with pytest.raises(InvalidToken):
        read_token(forged, keyring)


def test_unknown_kid(token):
    other = TokenKey.generate()
    with pytest.raises(InvalidToken):
        read_token(token, {other.kid: other.public_key})


@pytest.mark.parametrize(
    "change",
    [{"n": "Nguyễn Văn A"}, {"p": 100}, {"c": "gioi"}, {"e": 99999}, {"x": 1}],
)
def test_changed_claim_keeps_old_signature(token, keyring, change):
    header, _, signature = token.split(".")
    payload = payload_of(token) | change
    tampered = (
        f"{header}.{b64(json.dumps(payload, separators=(',', ':'), ensure_ascii=False).encode())}.{signature}"
    )
    with pytest.raises(InvalidToken):
        read_token(tampered, keyring)


def test_kid_outside_the_protected_header(key, keyring, make_claims):
    payload = make_claims().to_payload()
    # Compact form signed without kid in the protected header...
    no_kid = sign_raw(key, {"alg": "EdDSA", "typ": "shc1"}, payload)
    with pytest.raises(InvalidToken):
        read_token(no_kid, keyring)
    # ...with the kid tacked on as an extra segment...
    with pytest.raises(InvalidToken):
        read_token(f"{no_kid}.{b64(json.dumps({'kid': key.kid}).encode())}", keyring)
    # ...or as the unprotected header of the JSON serialization.
    protected, body, signature = no_kid.split(".")
    general = json.dumps(
        {"payload": body, "protected": protected, "header": {"kid": key.kid}, "signature": signature}
    )
    with pytest.raises(InvalidToken):
        read_token(general, keyring)


def test_alg_none(key, keyring, make_claims):
    header = {"alg": "none", "kid": key.kid, "typ": "shc1"}
    payload = json.dumps(make_claims().to_payload(), separators=(",", ":"), ensure_ascii=False)
    unsigned = f"{b64(json.dumps(header).encode())}.{b64(payload.encode())}."
    for candidate in (unsigned, unsigned + "AA", sign_raw(key, header, payload)):
        with pytest.raises(InvalidToken):
            read_token(candidate, keyring)


def test_hmac_with_public_key_as_secret(key, keyring, make_claims):
    header = b64(json.dumps({"alg": "HS256", "kid": key.kid, "typ": "shc1"}).encode())
    payload = b64(json.dumps(make_claims().to_payload(), ensure_ascii=False).encode())
    secret = public_jwk(key)["x"].encode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken):
        read_token(f"{header}.{payload}.{b64(mac)}", keyring)


@pytest.mark.parametrize(
    "header",
    [
        '{"alg":"EdDSA","kid":"KID","kid":"KID","typ":"shc1"}',
        '{"alg":"EdDSA","kid":"KID","typ":"shc1","crit":["exp"]}',
        '{"alg":"EdDSA","kid":"KID","typ":"shc1","jwk":{}}',
        '{"alg":"EdDSA","kid":"KID","typ":"JWT"}',
        '{"alg":"EdDSA","kid":"KID"}',
        '["EdDSA","KID","shc1"]',
    ],
)
def test_genuinely_signed_but_nonconforming_header(key, keyring, make_claims, header):
    token = sign_raw(key, header.replace("KID", key.kid), make_claims().to_payload())
    with pytest.raises(InvalidToken):
        read_token(token, keyring)


def test_genuinely_signed_duplicate_claim(key, keyring, make_claims):
    payload = json.dumps(make_claims().to_payload(), separators=(",", ":"), ensure_ascii=False)
    duplicated = payload[:-1] + ',"n":"Người Khác"}'
    token = sign_raw(key, {"alg": "EdDSA", "kid": key.kid, "typ": "shc1"}, duplicated)
    with pytest.raises(InvalidToken):
        read_token(token, keyring)


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "AAAAAAAAAAAAAAAAAAAAAA", "n": "A", "u": "X", "c": "dat", "p": 50},  # no issue date
        {"id": "AAAAAAAAAAAAAAAAAAAAAA", "n": "A", "u": "X", "c": "dat", "p": 50, "i": "2026-01-01"},
        {"id": "AAAAAAAAAAAAAAAAAAAAAA", "n": "A", "u": "X", "c": "dat", "p": 500, "i": 20000},
        {"id": "AAAAAAAAAAAAAAAAAAAAAA", "n": "A", "u": "X", "c": "dat", "p": 50, "i": 20000, "e": 19999},
        {"id": "AAAAAAAAAAAAAAAAAAAAAA", "n": "A", "u": "X", "c": "dat", "p": 50, "i": 20000, "nid": "0791"},
    ],
)
def test_genuinely_signed_bad_claims(key, keyring, payload):
    token = sign_raw(key, {"alg": "EdDSA", "kid": key.kid, "typ": "shc1"}, payload)
    with pytest.raises(InvalidToken):
        read_token(token, keyring)


def test_encoding_games(token, keyring):
    header, payload, signature = token.split(".")
    candidates = [
        f"{header}=.{payload}.{signature}",  # padding
        f"{header}.{payload}.{signature}==",
        f"{header}.{payload}.{signature[:-1]}",  # truncated signature
        f"{header}.{payload}.{signature}A",
        f" {token}",
        f"{token}\n",
        token.replace("-", "+").replace("_", "/") if ("-" in token or "_" in token) else token + "+",
        f"{header}..{payload}.{signature}",
        f"{header}.{payload}",
        token + "." + signature,
        f"{header}.{payload}.{signature}".encode(),
    ]
    for candidate in candidates:
        with pytest.raises(InvalidToken):
            read_token(candidate, keyring)


def test_oversized_token(key, keyring, make_claims):
    with pytest.raises(InvalidToken):
        read_token("a" * 2049, keyring)
    with pytest.raises(InvalidToken):
        read_token(issue_token(make_claims(), key) + "." + "A" * 2048, keyring)


def test_random_garbage(keyring):
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_.=+/ {}\"'\\\x00é"
    samples = ["", ".", "..", "...", "a.b.c", "e30.e30.", "e30.e30.e30", "null", None, 12, [], {}]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400))) for _ in range(300)]
    samples += [".".join(b64(rng.randbytes(rng.randint(0, 120))) for _ in range(3)) for _ in range(300)]
    for sample in samples:
        with pytest.raises(InvalidToken):
            read_token(sample, keyring)
        with pytest.raises(InvalidToken):
            peek(sample)


def test_one_exception_type_for_bad_keyring_entries(token, key):
    with pytest.raises(InvalidToken):
        read_token(token, {key.kid: "not a key"})


# --- keys ---------------------------------------------------------------------------------------


def test_kid_is_derived_from_the_public_key(key):
    raw = unb64(public_jwk(key)["x"])
    assert len(raw) == 32
    assert key.kid == b64(hashlib.sha256(raw).digest()[:8]) == kid_for(key.public_key)


def test_jwk_and_pem_round_trip(key, token):
    jwk = public_jwk(key)
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": jwk["x"],
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    from_jwk = key_from_jwk(json.loads(json.dumps(jwk)))
    from_pem = TokenKey.from_public_pem(key.public_pem())
    for k in (from_jwk, from_pem):
        assert k.kid == key.kid and k.private_key is None
        assert read_token(token, {k.kid: k.public_key}).kid == key.kid
    assert TokenKey.from_private_pem(key.private_pem()).kid == key.kid
    with pytest.raises(ValueError):
        key_from_jwk(jwk | {"kid": "someone-else"})
    with pytest.raises(ValueError):
        key_from_jwk(jwk | {"crv": "X25519"})


def test_documented_offline_verification_with_cryptography_only(token, key):
    """The recipe of docs/token-format.md, independent of certificates.token."""
    jwks = {"keys": [public_jwk(key) | {"status": "active"}]}

    def b64d(s):
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

    header_b64, payload_b64, sig_b64 = token.split(".")
    header = json.loads(b64d(header_b64))
    assert header["alg"] == "EdDSA" and header["typ"] == "shc1"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"] and k["status"] != "compromised")
    Ed25519PublicKey.from_public_bytes(b64d(jwk["x"])).verify(
        b64d(sig_b64), f"{header_b64}.{payload_b64}".encode("ascii")
    )
    claims = json.loads(b64d(payload_b64))
    assert claims["n"] == "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo"
    assert date(1970, 1, 1).toordinal() + claims["i"] == date(2026, 3, 15).toordinal()
