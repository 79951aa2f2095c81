"""Fixtures for the certificate core: one development CA per test session,
factories for certificate data, and one signed certificate shared by the
read-only tests (rendering and signing it once keeps the suite fast)."""

import dataclasses
from datetime import date

import pytest
from cryptography import x509

from certificates.devca import init_dev_keys, load_token_key
from certificates.pdf import CertificateData, CertificatePDF
from certificates.serial import format_serial, new_public_id
from certificates.signing import SignerConfig, sign_pdf
from certificates.token import TokenClaims, issue_token

LONG_NAME = "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo"
LONG_UNIT_CODE = "VLG-SKHCN-PCNTT"
VERIFY_BASE = "https://sathach.vinhlong.gov.vn/v/"


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory):
    return init_dev_keys(tmp_path_factory.mktemp("dev-keys"))


@pytest.fixture(scope="session")
def root_cert(dev_keys):
    return x509.load_pem_x509_certificate(dev_keys.root_cert.read_bytes())


@pytest.fixture(scope="session")
def signer_config(dev_keys):
    return SignerConfig.from_dev_ca(dev_keys.directory)


@pytest.fixture(scope="session")
def token_key(dev_keys):
    return load_token_key(dev_keys.token_key)


@pytest.fixture(scope="session")
def make_claims():
    def make(**overrides) -> TokenClaims:
        values = dict(
            public_id=new_public_id(),
            holder_name=LONG_NAME,
            unit_code=LONG_UNIT_CODE,
            classification="kha",
            percent=87.5,
            issue_date=date(2026, 3, 15),
            expiry_date=date(2028, 3, 15),
        )
        values.update(overrides)
        return TokenClaims(**values)

    return make


@pytest.fixture(scope="session")
def make_certificate_data(token_key, make_claims):
    """Factory: certificate data whose verify URL carries a genuine token."""

    def make(claims: TokenClaims | None = None, **overrides) -> CertificateData:
        claims = claims or make_claims()
        values = dict(
            holder_name=claims.holder_name,
            birth_date=date(1985, 9, 5),
            unit_name="Phòng Chuyển đổi số, Sở Khoa học và Công nghệ tỉnh Vĩnh Long",
            audience_name="Công chức, viên chức, người lao động",
            percent=claims.percent,
            score_10=8.75,
            classification_name="Khá",
            issue_date=claims.issue_date,
            expiry_date=claims.expiry_date,
            serial=format_serial("BTR", 2026, 123),
            issuer_name="Sở Thông tin và Truyền thông tỉnh Bến Tre",
            issuer_place="Bến Tre",
            verify_url=VERIFY_BASE + issue_token(claims, token_key),
            framework_label="Khung năng lực số KNS-2026 phiên bản 1.0",
        )
        values.update(overrides)
        return CertificateData(**values)

    return make


@dataclasses.dataclass(frozen=True)
class IssuedCertificate:
    claims: TokenClaims
    data: CertificateData
    unsigned: bytes
    signed: bytes
    qr_version: int
    qr_level: str


@pytest.fixture(scope="session")
def issued(make_claims, make_certificate_data, signer_config) -> IssuedCertificate:
    """The long-name certificate, rendered and signed once for the session."""
    claims = make_claims()
    data = make_certificate_data(claims)
    document = CertificatePDF(data)
    unsigned = document.render()
    signed = sign_pdf(unsigned, signer_config, location="Bến Tre")
    return IssuedCertificate(
        claims, data, unsigned, signed, document.qr.version, document.qr.error_correction
    )


@pytest.fixture(scope="session")
def render_page():
    return _render_page


def _render_page(pdf_bytes: bytes, scale: float = 2, forms: bool = False):
    """Page 1 as a PIL image (``forms`` also draws the signature widget)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        if forms:
            document.init_forms()
        page = document[0]
        try:
            bitmap = page.render(scale=scale, may_draw_forms=forms)
            image = bitmap.to_pil()
            image.load()
            return image.copy()
        finally:
            page.close()
    finally:
        document.close()
