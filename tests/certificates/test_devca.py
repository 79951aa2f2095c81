import hashlib
import stat

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certificates.devca import init_dev_keys, load_token_key


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_keys_with_private_files_0600(tmp_path):
    paths = init_dev_keys(tmp_path / "keys")
    for private in (paths.root_key, paths.signer_key, paths.token_key):
        assert _mode(private) == 0o600, private
        assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    for public in (paths.root_cert, paths.signer_cert, paths.token_public):
        assert public.read_bytes().startswith(b"-----BEGIN ")


def test_is_idempotent(tmp_path):
    first = init_dev_keys(tmp_path)
    files = sorted(p for p in tmp_path.iterdir())
    before = {p.name: p.read_bytes() for p in files}
    second = init_dev_keys(tmp_path)
    assert first == second
    assert {p.name: p.read_bytes() for p in sorted(tmp_path.iterdir())} == before


def test_fills_in_what_is_missing(tmp_path):
    paths = init_dev_keys(tmp_path)
    root = paths.root_cert.read_bytes()
    paths.signer_cert.unlink()
    paths.token_public.unlink()
    init_dev_keys(tmp_path)
    assert paths.root_cert.read_bytes() == root
    signer = x509.load_pem_x509_certificate(paths.signer_cert.read_bytes())
    assert signer.issuer == x509.load_pem_x509_certificate(root).subject
    assert load_token_key(paths.token_key).public_pem() == paths.token_public.read_bytes()


def test_certificate_profiles(dev_keys):
    root = x509.load_pem_x509_certificate(dev_keys.root_cert.read_bytes())
    signer = x509.load_pem_x509_certificate(dev_keys.signer_cert.read_bytes())
    assert "không dùng cho sản xuất" in root.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert root.issuer == root.subject
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign

    assert signer.issuer == root.subject
    signer.verify_directly_issued_by(root)
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment


def test_token_key_kid_is_derived_from_its_public_key(dev_keys):
    key = load_token_key(dev_keys.token_key)
    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import base64

    assert key.kid == base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:8]).rstrip(b"=").decode()
