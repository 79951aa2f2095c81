"""Certificates: the holder's and staff's view, what a verifier is told, the published keys."""

from marshmallow import EXCLUDE, RAISE, fields

from certificates.lifecycle import INVALID, STANDINGS, STATUSES

from .. import issuing
from .base import File, Length, Schema, Timestamp


class RevokeSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=Length(min=3, max=1000))


class ReissueSchema(RevokeSchema):
    holder_name = fields.String(required=True, validate=Length(min=2, max=200))


class PublicCertificateSchema(Schema):
    """Only what HR needs to match the holder (SPEC §6): no full birth date, no national id, no e-mail."""

    holder_name = fields.String()
    birth_year = fields.Function(lambda cert: cert.birth_date.year if cert.birth_date else None,
                                 metadata={"type": "integer", "nullable": True})
    unit = fields.String(attribute="unit_name", allow_none=True)
    audience = fields.String(attribute="audience_name")
    classification = fields.String(attribute="classification_name")
    issued_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    serial = fields.String()
    issuer = fields.String(attribute="issuer_name")


class CertificateSchema(PublicCertificateSchema):
    """A certificate as its holder, their unit manager, proctors and admins see it."""

    id = fields.String(attribute="public_id")
    status = fields.Function(lambda cert: issuing.standing(cert),
                             metadata={"type": "string", "enum": list(STANDINGS),
                                       "description": "tình trạng hôm nay: valid, revoked, superseded (đã được "
                                                      "cấp lại), expired, hoặc invalid (khóa ký mã QR đã bị lộ)"})
    verify_status = fields.Function(lambda cert: issuing.verify_status(cert),
                                    metadata={"type": "string", "enum": [*STATUSES, INVALID],
                                              "description": "như người xác minh thấy hôm nay"})
    verify_url = fields.String()
    attempt_id = fields.Integer()
    pdf_ready = fields.Function(lambda cert: cert.pdf_sha256 is not None, metadata={"type": "boolean"})
    pdf_sha256 = fields.String(allow_none=True)
    percent = fields.Float()
    score_10 = fields.Float()
    revoke_reason = fields.String(allow_none=True)


class SessionCertificatesSchema(Schema):
    certificates = fields.Integer()
    rendered = fields.Integer(metadata={"description": "đã có tệp PDF đã ký"})
    pending = fields.Integer()


class CheckSchema(Schema):
    name = fields.String()
    label = fields.String()
    ok = fields.Boolean()


class RevokedSchema(Schema):
    at = Timestamp(allow_none=True)
    reason = fields.String(allow_none=True)


class PdfUploadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    file = File(missing_message="Cần gửi tệp PDF.", metadata={"description": "tệp PDF của giấy chứng nhận"})


class VerificationSchema(Schema):
    """The one answer shape of every verification, genuine or not."""

    status = fields.String(metadata={"description": "valid, revoked, expired hoặc invalid"})
    status_text = fields.String(metadata={"description": "HỢP LỆ, ĐÃ THU HỒI, HẾT HIỆU LỰC, KHÔNG HỢP LỆ"})
    checks = fields.List(fields.Nested(CheckSchema))
    certificate = fields.Nested(PublicCertificateSchema, allow_none=True)
    revoked = fields.Nested(RevokedSchema, metadata={"description": "chỉ khi đã thu hồi"})


class PublicKeySchema(Schema):
    """A token key as a JWK (RFC 8037), with its status and validity (docs/token-format.md)."""

    kid = fields.String()
    kty = fields.Constant("OKP")
    crv = fields.Constant("Ed25519")
    x = fields.String(attribute="public_key", metadata={"description": "khóa công khai Ed25519, base64url"})
    alg = fields.Constant("EdDSA")
    status = fields.String(metadata={"description": "active, retired hoặc compromised"})
    valid_from = Timestamp()
    valid_until = Timestamp(allow_none=True)


class PublicKeysSchema(Schema):
    keys = fields.List(fields.Nested(PublicKeySchema))
