"""A development CA and keys, so tests and demos sign like production does.

``init_dev_keys(directory)`` creates whatever is missing of:

* ``root-ca.pem`` / ``root-ca.key``: a self-signed root, clearly named as not
  for production;
* ``signer.pem`` / ``signer.key``: the document-signing certificate it issues
  (digitalSignature + nonRepudiation, EKU documentSigning), for PAdES;
* ``token.key`` / ``token.pub.pem``: the Ed25519 key that signs QR tokens (its
  kid is derived from the public key, see :func:`certificates.token.kid_for`).

Private keys are PEM files with mode 0600. Existing files are never replaced,
so calling it again (or from several workers at once) changes nothing.
"""

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .token import TokenKey

__all__ = ["DevKeyPaths", "init_dev_keys", "load_token_key"]

ROOT_CN = "SatHach Development Root CA – không dùng cho sản xuất"
SIGNER_CN = "SatHach – Ký số giấy chứng nhận (phát triển)"
ORGANIZATION = "SatHach (môi trường phát triển)"
# RFC 9336 id-kp-documentSigning; cryptography >= 42 names it, older ones do not.
DOCUMENT_SIGNING = getattr(ExtendedKeyUsageOID, "DOCUMENT_SIGNING", ObjectIdentifier("1.3.6.1.5.5.7.3.36"))


@dataclass(frozen=True)
class DevKeyPaths:
    directory: Path
    root_cert: Path
    root_key: Path
    signer_cert: Path
    signer_key: Path
    token_key: Path
    token_public: Path


def _paths(directory: Path) -> DevKeyPaths:
    return DevKeyPaths(
        directory=directory,
        root_cert=directory / "root-ca.pem",
        root_key=directory / "root-ca.key",
        signer_cert=directory / "signer.pem",
        signer_key=directory / "signer.key",
        token_key=directory / "token.key",
        token_public=directory / "token.pub.pem",
    )


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Write ``path`` atomically unless it exists; True if this call wrote it."""
    if path.exists():
        return False
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)  # umask may have narrowed or widened nothing; be explicit
        try:
            os.link(tmp, path)  # fails if another process got there first
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _load_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _ensure_key(path: Path):
    if not path.exists():
        _write_new(path, _key_pem(ec.generate_private_key(ec.SECP256R1())), 0o600)
    return _load_key(path)


def _ensure_root(paths: DevKeyPaths, now: dt.datetime) -> tuple[x509.Certificate, object]:
    key = _ensure_key(paths.root_key)
    if not paths.root_cert.exists():
        name = _name(ROOT_CN)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_new(paths.root_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    cert = x509.load_pem_x509_certificate(paths.root_cert.read_bytes())
    return cert, _load_key(paths.root_key)


def _ensure_signer(paths: DevKeyPaths, root_cert: x509.Certificate, root_key, now: dt.datetime) -> None:
    key = _ensure_key(paths.signer_key)
    if paths.signer_cert.exists():
        return
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SIGNER_CN))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(min(now + dt.timedelta(days=3 * 365), root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_cert.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    _write_new(paths.signer_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _ensure_token_key(paths: DevKeyPaths) -> None:
    if not paths.token_key.exists():
        _write_new(paths.token_key, TokenKey.generate().private_pem(), 0o600)
    if not paths.token_public.exists():
        _write_new(paths.token_public, load_token_key(paths.token_key).public_pem(), 0o644)


def init_dev_keys(directory: str | os.PathLike) -> DevKeyPaths:
    """Create the missing development keys and certificates in ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = _paths(directory)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root_cert, root_key = _ensure_root(paths, now)
    _ensure_signer(paths, root_cert, root_key, now)
    _ensure_token_key(paths)
    return paths


def load_token_key(path: str | os.PathLike) -> TokenKey:
    """The Ed25519 token key (private) stored as PEM at ``path``."""
    return TokenKey.from_private_pem(Path(path).read_bytes())
