"""The keys the service signs with: the PDF signer (development CA or PKCS#12) and the Ed25519 token keys.

Private token keys live as files in KEYS_DIR (token.key from `keys init`, token-keys/<kid>.key after a
rotation); their public halves and status (active, retired, compromised) live in the database."""

import functools
from pathlib import Path

from cryptography import x509
from flask import current_app
from sqlalchemy import select

from certificates.devca import init_dev_keys, load_token_key
from certificates.signing import SignerConfig
from certificates.token import TokenKey, public_jwk

from . import audit, clock
from .errors import ApiError
from .extensions import db
from .models import TokenKey as TokenKeyRow


def keys_dir() -> Path:
    return Path(current_app.config["KEYS_DIR"])


def init_keys() -> TokenKeyRow:
    """Create the development CA and token key if missing, and register the token key. Idempotent."""
    paths = init_dev_keys(keys_dir())
    key = load_token_key(paths.token_key)
    row = db.session.get(TokenKeyRow, key.kid)
    if row is None:
        has_active = db.session.scalar(select(TokenKeyRow.kid).where(TokenKeyRow.status == "active"))
        row = TokenKeyRow(kid=key.kid, public_key=public_jwk(key)["x"],
                          status="retired" if has_active else "active", valid_from=clock.now())
        db.session.add(row)
        db.session.flush()
    return row


def private_token_keys() -> dict[str, TokenKey]:
    return _load_private_keys(str(keys_dir()))


@functools.lru_cache(maxsize=8)
def _load_private_keys(directory: str) -> dict[str, TokenKey]:
    folder = Path(directory)
    files = [folder / "token.key", *sorted((folder / "token-keys").glob("*.key"))]
    keys = [load_token_key(path) for path in files if path.exists()]
    return {key.kid: key for key in keys}


def active_token_key() -> TokenKey:
    """:raise ApiError 503: no active key with its private half in the key store."""
    row = db.session.scalar(select(TokenKeyRow).where(TokenKeyRow.status == "active")
                            .order_by(TokenKeyRow.valid_from.desc()))
    key = private_token_keys().get(row.kid) if row else None
    if key is None:
        _load_private_keys.cache_clear()
        key = private_token_keys().get(row.kid) if row else None
    if key is None:
        raise ApiError(503, "no_signing_key", "Chưa có khóa ký mã xác minh (chạy `flask keys init`).")
    return key


def rotate(actor=None, reason: str | None = None) -> TokenKeyRow:
    """A new active token key; the old active key is retired and keeps verifying what it signed."""
    key = TokenKey.generate()
    folder = keys_dir() / "token-keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{key.kid}.key"
    path.write_bytes(key.private_pem())
    path.chmod(0o600)
    _load_private_keys.cache_clear()
    now = clock.now()
    for old in db.session.scalars(select(TokenKeyRow).where(TokenKeyRow.status == "active")):
        old.status, old.valid_until = "retired", now
    row = TokenKeyRow(kid=key.kid, public_key=public_jwk(key)["x"], status="active", valid_from=now)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "key.rotate", "token_key", key.kid, **({"reason": reason} if reason else {}))
    return row


def mark_compromised(kid: str, reason: str, actor=None) -> TokenKeyRow:
    """Every QR token this key signed becomes invalid. The active key is first replaced by a new one (`rotate`),
    so that certificates are never issued without a trusted key or signed with the compromised one.

    :raise ApiError 404: no such key. 409: already marked compromised.
    """
    row = db.session.get(TokenKeyRow, kid)
    if row is None:
        raise ApiError(404, "not_found", f"Không có khóa {kid}.")
    if row.status == "compromised":
        raise ApiError(409, "already_compromised", f"Khóa {kid} đã được đánh dấu lộ từ trước.")
    if row.status == "active":
        rotate(actor, reason=f"Thay khóa bị lộ {kid}: {reason}")
    row.status = "compromised"
    row.valid_until = row.valid_until or clock.now()
    db.session.flush()
    audit.record(actor, "key.compromise", "token_key", kid, reason=reason)
    return row


def pdf_signer() -> SignerConfig:
    config = current_app.config
    return _load_signer(config["KEYS_DIR"], config.get("SIGNING_PKCS12"), config.get("SIGNING_PKCS12_PASSPHRASE"))


@functools.lru_cache(maxsize=4)
def _load_signer(directory: str, pkcs12: str | None, passphrase: str | None) -> SignerConfig:
    if pkcs12:
        return SignerConfig.from_pkcs12(pkcs12, passphrase)
    return SignerConfig.from_dev_ca(directory)


def trust_roots() -> list[x509.Certificate]:
    """The roots a certificate PDF's signature must chain to: SIGNING_TRUST_ROOTS, else the development root."""
    configured = current_app.config.get("SIGNING_TRUST_ROOTS")
    paths = configured.split(":") if configured else [str(keys_dir() / "root-ca.pem")]
    return _load_roots(tuple(paths))


@functools.lru_cache(maxsize=4)
def _load_roots(paths: tuple[str, ...]) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(Path(p).read_bytes()) for p in paths if Path(p).exists()]
