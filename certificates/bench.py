"""Measure the certificate core: ``python -m certificates.bench [-n 30]``.

Prints the time to render and sign one certificate, to check a signed PDF and
to verify a token, and the size of the QR payload for a long Vietnamese name.
A measurement, not a test: nothing here fails on a slow machine.
"""

import argparse
import statistics
import tempfile
import time
from datetime import date

from cryptography import x509

from .devca import init_dev_keys, load_token_key
from .pdf import CertificateData, CertificatePDF
from .serial import format_serial, new_public_id
from .signing import SignerConfig, sign_pdf
from .token import TokenClaims, issue_token, read_token
from .verify_pdf import check_signed_pdf

LONG_NAME = "Nguyễn Thị Hồng Nhung Tôn Nữ Phương Thảo"
VERIFY_BASE = "https://sathach.vinhlong.gov.vn/v/"


def _data(token_key, seq: int) -> CertificateData:
    claims = TokenClaims(
        public_id=new_public_id(),
        holder_name=LONG_NAME,
        unit_code="VLG-SKHCN-PCNTT",
        classification="kha",
        percent=87.5,
        issue_date=date(2026, 3, 15),
        expiry_date=date(2028, 3, 15),
    )
    return CertificateData(
        holder_name=LONG_NAME,
        birth_date=date(1985, 9, 5),
        unit_name="Phòng Chuyển đổi số, Sở Khoa học và Công nghệ tỉnh Vĩnh Long",
        audience_name="Công chức, viên chức, người lao động",
        percent=87.5,
        score_10=8.75,
        classification_name="Khá",
        issue_date=claims.issue_date,
        expiry_date=claims.expiry_date,
        serial=format_serial("BTR", 2026, seq),
        issuer_name="Sở Thông tin và Truyền thông tỉnh Bến Tre",
        issuer_place="Bến Tre",
        verify_url=VERIFY_BASE + issue_token(claims, token_key),
        framework_label="Khung năng lực số KNS-2026 phiên bản 1.0",
    )


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="certificates to render and sign")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        paths = init_dev_keys(tmp)
        signer = SignerConfig.from_dev_ca(tmp)
        token_key = load_token_key(paths.token_key)
        root = x509.load_pem_x509_certificate(paths.root_cert.read_bytes())

        # Warm-up: font registration and the stamp font subset happen once per process.
        sign_pdf(CertificatePDF(_data(token_key, 1)).render(), signer)

        render_t, sign_t, total_t, check_t = [], [], [], []
        for i in range(args.n):
            document = CertificatePDF(_data(token_key, i + 2))
            t0 = time.perf_counter()
            unsigned = document.render()
            t1 = time.perf_counter()
            signed = sign_pdf(unsigned, signer, location="Bến Tre")
            t2 = time.perf_counter()
            check = check_signed_pdf(signed, [root])
            t3 = time.perf_counter()
            assert check.valid, check
            render_t.append(t1 - t0)
            sign_t.append(t2 - t1)
            total_t.append(t2 - t0)
            check_t.append(t3 - t2)

        url = document.data.verify_url
        token = url.removeprefix(VERIFY_BASE)
        keys = {token_key.kid: token_key.public_key}
        rounds = 2000
        t0 = time.perf_counter()
        for _ in range(rounds):
            read_token(token, keys)
        per_token = (time.perf_counter() - t0) / rounds

        qr = document.qr
        print(f"certificates rendered and signed: {args.n}")
        print(f"render:          {_ms(render_t)}")
        print(f"sign (PAdES):    {_ms(sign_t)}")
        print(f"render + sign:   {_ms(total_t)}  (~{1 / statistics.median(total_t):.0f} per second per core)")
        print(f"check_signed_pdf: {_ms(check_t)}")
        print(f"signed PDF size: {len(signed):,} bytes")
        print(f"read_token:      {per_token * 1e6:.0f} µs ({1 / per_token:,.0f} per second per core)")
        print(f"holder name:     {LONG_NAME} ({len(LONG_NAME)} characters, {len(LONG_NAME.encode())} bytes)")
        print(f"token length:    {len(token)} characters")
        print(f"URL length:      {len(url)} bytes")
        print(
            f"QR code:         version {qr.version}, level {qr.error_correction}, "
            f"{qr.module_count}×{qr.module_count} modules"
        )


if __name__ == "__main__":
    main()
