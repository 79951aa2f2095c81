"""The compact signed token carried by the certificate's QR code.

Format (documented for outside verifiers in docs/token-format.md): a JWS in
compact serialization (RFC 7515) signed with Ed25519 (``"alg": "EdDSA"``,
RFC 8037). The protected header is exactly ``{"alg", "kid", "typ"}``, so the key
id is covered by the signature; the payload uses one- or two-letter claim names
to keep the QR code small.

:func:`read_token` is deliberately strict and has a single failure mode,
:class:`InvalidToken`, whatever went wrong, so that callers answer every bad
token the same way (no oracle telling a forger how far they got). The reason
is kept on the exception for logs only.
"""

import base64
import binascii
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .serial import is_valid_public_id

__all__ = [
    "ALG",
    "MAX_TOKEN_LENGTH",
    "TOKEN_TYPE",
    "InvalidToken",
    "TokenClaims",
    "TokenKey",
    "canonical_json",
    "issue_token",
    "key_from_jwk",
    "kid_for",
    "peek",
    "signature_holds",
    "public_jwk",
    "read_token",
]

ALG = "EdDSA"
TOKEN_TYPE = "shc1"  # "SatHach certificate, format 1"
MAX_TOKEN_LENGTH = 2048
MAX_TEXT_LENGTH = 120  # any single text claim, in characters

_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_REQUIRED_CLAIMS = frozenset({"id", "n", "u", "c", "p", "i"})
_OPTIONAL_CLAIMS = frozenset({"e"})
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_KID = re.compile(r"[A-Za-z0-9_-]{1,64}")
EPOCH = date(1970, 1, 1)  # dates are whole days since this one
_MAX_DAY = (date.max - EPOCH).days
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class InvalidToken(Exception):
    """Any problem with a token. The message is for logs, never for the user."""


# --- keys -------------------------------------------------------------------------------------


def kid_for(public_key: Ed25519PublicKey) -> str:
    """Key id derived from the key: base64url of the first 8 bytes of SHA-256(raw public key)."""
    digest = hashlib.sha256(_raw_public(public_key)).digest()
    return _b64e(digest[:8])


@dataclass(frozen=True)
class TokenKey:
    """An Ed25519 token key. ``private_key`` is None for a verify-only key."""

    kid: str
    private_key: Ed25519PrivateKey | None = field(repr=False)
    public_key: Ed25519PublicKey = field(repr=False)

    @classmethod
    def generate(cls) -> "TokenKey":
        private = Ed25519PrivateKey.generate()
        return cls.from_private_key(private)

    @classmethod
    def from_private_key(cls, private: Ed25519PrivateKey) -> "TokenKey":
        public = private.public_key()
        return cls(kid=kid_for(public), private_key=private, public_key=public)

    @classmethod
    def from_private_pem(cls, data: bytes, password: bytes | None = None) -> "TokenKey":
        private = serialization.load_pem_private_key(data, password=password)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls.from_private_key(private)

    @classmethod
    def from_public_pem(cls, data: bytes) -> "TokenKey":
        public = serialization.load_pem_public_key(data)
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return cls(kid=kid_for(public), private_key=None, public_key=public)

    def private_pem(self) -> bytes:
        """PKCS#8 PEM, unencrypted (the file holding it must be 0600)."""
        if self.private_key is None:
            raise ValueError("verify-only key has no private part")
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def public_jwk(key: TokenKey) -> dict[str, str]:
    """The public key as an RFC 8037 OKP JWK with its kid (and alg/use)."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64e(_raw_public(key.public_key)),
        "kid": key.kid,
        "alg": ALG,
        "use": "sig",
    }


def key_from_jwk(jwk: Mapping[str, Any]) -> TokenKey:
    """Verify-only key from a JWK as published at /api/v1/verify/keys.

    :raise ValueError: not an Ed25519 OKP key, or its kid does not match the key.
    """
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or jwk.get("alg", ALG) != ALG:
        raise ValueError("not an Ed25519 OKP JWK")
    public = Ed25519PublicKey.from_public_bytes(_b64d(jwk["x"]))
    kid = kid_for(public)
    if jwk.get("kid", kid) != kid:
        raise ValueError("JWK kid does not match the key")
    return TokenKey(kid=kid, private_key=None, public_key=public)


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- claims -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    """What a token says about a certificate. ``kid`` is set by :func:`read_token`."""

    public_id: str
    holder_name: str
    unit_code: str
    classification: str
    percent: float
    issue_date: date
    expiry_date: date | None = None
    kid: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The short-named JSON payload; validates and normalizes (NFC) every claim."""
        if not is_valid_public_id(self.public_id):
            raise ValueError("public_id must be 16 bytes in base64url without padding")
        payload: dict[str, Any] = {
            "id": self.public_id,
            "n": _text(self.holder_name, "holder_name"),
            "u": _code(self.unit_code, "unit_code"),
            "c": _code(self.classification, "classification"),
            "p": _percent(self.percent),
            "i": _date_out(self.issue_date, "issue_date"),
        }
        if self.expiry_date is not None:
            payload["e"] = _date_out(self.expiry_date, "expiry_date")
            if self.expiry_date < self.issue_date:
                raise ValueError("expiry_date is before issue_date")
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], kid: str | None = None) -> "TokenClaims":
        """Strict inverse of :meth:`to_payload`; raises ValueError on anything unexpected."""
        keys = set(payload)
        if not _REQUIRED_CLAIMS <= keys or keys - _REQUIRED_CLAIMS - _OPTIONAL_CLAIMS:
            raise ValueError("unexpected claim set")
        claims = cls(
            public_id=_str(payload["id"]),
            holder_name=_str(payload["n"]),
            unit_code=_str(payload["u"]),
            classification=_str(payload["c"]),
            percent=payload["p"],
            issue_date=_date_in(payload["i"]),
            expiry_date=_date_in(payload["e"]) if "e" in payload else None,
            kid=kid,
        )
        # Round-trip: a payload is accepted only in the exact form we would have issued.
        if claims.to_payload() != dict(payload):
            raise ValueError("claims are not in canonical form")
        return claims

    def as_dict(self) -> dict[str, Any]:
        return {
            "public_id": self.public_id,
            "holder_name": self.holder_name,
            "unit_code": self.unit_code,
            "classification": self.classification,
            "percent": self.percent,
            "issue_date": self.issue_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "kid": self.kid,
        }


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _text(value: Any, name: str) -> str:
    value = unicodedata.normalize("NFC", _str(value)).strip()
    if not value or len(value) > MAX_TEXT_LENGTH or any(unicodedata.category(ch)[0] == "C" for ch in value):
        raise ValueError(f"{name} must be 1-{MAX_TEXT_LENGTH} printable characters")
    return value


def _code(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValueError(f"{name} must be a code of ASCII letters, digits, '.', '_' or '-'")
    return value


def _percent(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("percent must be a number")
    value = round(float(value), 1)
    if not 0 <= value <= 100:
        raise ValueError("percent must be within 0-100")
    return int(value) if value.is_integer() else value


def _date_out(value: Any, name: str) -> int:
    if not isinstance(value, date) or isinstance(value, datetime) or value < EPOCH:
        raise ValueError(f"{name} must be a date from 1970 on")
    return (value - EPOCH).days


def _date_in(value: Any) -> date:
    # Day numbers keep the QR small: "2026-03-15" would cost 7 more bytes per date.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_DAY:
        raise ValueError("expected a day number")
    return EPOCH + timedelta(days=value)


# --- encoding ---------------------------------------------------------------------------------


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace, non-ASCII characters unescaped."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode(
        "utf-8"
    )


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(segment: str) -> bytes:
    """Strict base64url: alphabet only, no padding, canonical trailing bits."""
    if not isinstance(segment, str) or not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise ValueError("bad base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad base64url") from exc
    if _b64e(data) != segment:
        raise ValueError("non-canonical base64url")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate JSON member {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} not allowed")


def _json_object(data: bytes) -> dict[str, Any]:
    obj = json.loads(
        data.decode("utf-8", errors="strict"),
        object_pairs_hook=_no_duplicates,
        parse_constant=_reject_constant,
    )
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


def issue_token(claims: TokenClaims | Mapping[str, Any], key: TokenKey) -> str:
    """Sign ``claims`` with ``key`` and return the compact token.

    ``claims`` is a :class:`TokenClaims` or a mapping with its field names
    (``public_id``, ``holder_name``, ``unit_code``, ``classification``,
    ``percent``, ``issue_date``, ``expiry_date``).

    :raise ValueError: a claim is missing or out of range, or the key has no private part.
    """
    if not isinstance(claims, TokenClaims):
        fields = {k: v for k, v in claims.items() if k != "kid"}
        try:
            claims = TokenClaims(**fields)
        except TypeError as exc:
            raise ValueError(f"bad claims: {exc}") from None
    if key.private_key is None:
        raise ValueError("cannot sign with a verify-only key")
    header = {"alg": ALG, "kid": key.kid, "typ": TOKEN_TYPE}
    signing_input = _b64e(canonical_json(header)) + "." + _b64e(canonical_json(claims.to_payload()))
    signature = key.private_key.sign(signing_input.encode("ascii"))
    token = signing_input + "." + _b64e(signature)
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("token too long")
    return token


def _split(token: Any) -> tuple[str, str, str, dict[str, Any]]:
    if not isinstance(token, str):
        raise InvalidToken("not a string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not three segments")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = _json_object(_b64d(header_b64))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidToken(f"bad header: {exc}") from None
    if set(header) != _HEADER_KEYS:
        raise InvalidToken("header must be exactly alg, kid, typ")
    if header["alg"] != ALG or header["typ"] != TOKEN_TYPE:
        raise InvalidToken("wrong alg or typ")
    if not isinstance(header["kid"], str) or not _KID.fullmatch(header["kid"]):
        raise InvalidToken("bad kid")
    return header_b64, payload_b64, signature_b64, header


def peek(token: str) -> tuple[str, str]:
    """The kid and the certificate's public id, both unverified: enough to fetch the key and the record
    in one query. Trust neither until the signature is checked (:func:`read_token`, :func:`signature_holds`).

    :raise InvalidToken: the token is not well formed or names no valid public id.
    """
    _, payload_b64, _, header = _split(token)
    try:
        public_id = _json_object(_b64d(payload_b64)).get("id")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidToken(f"bad payload: {exc}") from None
    if not isinstance(public_id, str) or not is_valid_public_id(public_id):
        raise InvalidToken("bad public id")
    return header["kid"], public_id


def signature_holds(token: str, public_key: Ed25519PublicKey) -> bool:
    """Whether ``token``'s signature verifies with ``public_key``. Nothing else is checked: for a caller that
    compares the token with the one it issued, which fixes every claim, and still wants the signature."""
    try:
        header_b64, payload_b64, signature_b64, _ = _split(token)
        public_key.verify(_b64d(signature_b64), f"{header_b64}.{payload_b64}".encode("ascii"))
    except (InvalidToken, InvalidSignature, ValueError):
        return False
    return True


def read_token(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> TokenClaims:
    """Verify ``token`` against ``public_keys`` (kid -> key) and return its claims.

    Pass only keys that may still verify (active and retired ones, not
    compromised ones); the key's status, revocation and expiry are the caller's
    checks, since the server is the authority on them.

    :raise InvalidToken: for any problem at all.
    """
    try:
        header_b64, payload_b64, signature_b64, header = _split(token)
        public_key = public_keys.get(header["kid"])
        if not isinstance(public_key, Ed25519PublicKey):
            raise InvalidToken("unknown kid")
        try:
            signature = _b64d(signature_b64)
        except ValueError:
            raise InvalidToken("bad signature encoding") from None
        if len(signature) != 64:
            raise InvalidToken("bad signature length")
        try:
            public_key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
        except InvalidSignature:
            raise InvalidToken("bad signature") from None
        try:
            return TokenClaims.from_payload(_json_object(_b64d(payload_b64)), kid=header["kid"])
        except (ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidToken(f"bad payload: {exc}") from None
    except InvalidToken:
        raise
    except Exception as exc:  # noqa: BLE001 - one answer for every bad token, whatever broke
        raise InvalidToken(f"unexpected: {type(exc).__name__}") from None
