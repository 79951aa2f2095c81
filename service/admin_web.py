"""Web pages for admins: find a certificate and revoke or reissue it, see the accounts, the keys that sign QR codes
(replace the active one, mark one compromised) and the audit log.

Every action calls the operation the API or the CLI calls, which audits it, and first shows a confirmation page
that says what it does to the certificates already issued; nothing changes until that page is confirmed."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from certificates.lifecycle import STANDING_NAMES
from certificates.vietnam_time import vn_time

from . import accounts, audit, clock, issuing, keystore
from .author_web import STATUS_LABELS as ITEM_STATUS_LABELS
from .errors import ApiError
from .extensions import db
from .models import ROLES, AuditEntry, Certificate, TokenKey, User
from .pages import (
    ROLE_LABELS,
    audience_names,
    confirmed,
    form_errors,
    load_form,
    page_number,
    staff_page,
    typed,
)
from .schemas.base import page_of
from .schemas.certificates import ReissueSchema, RevokeSchema
from .schemas.exams import ReasonSchema
from .schemas.people import UserArgs
from .unit_of_work import refused
from .units import tree_options
from .verification import STATUS_TEXT

admin = Blueprint("admin", __name__, url_prefix="/quan-ly")
admin_page = staff_page()  # admins only

PER_PAGE = 50
KEY_STATUSES = {"active": "Đang dùng", "retired": "Đã thay (vẫn xác minh được)",
                "compromised": "Đã lộ (không còn tin cậy)"}
ACTION_LABELS = {
    "certificate.issue": "Cấp chứng nhận", "certificate.revoke": "Thu hồi chứng nhận",
    "certificate.reissue": "Cấp lại chứng nhận", "certificates.bulk_issue": "Tạo và ký chứng nhận hàng loạt",
    "certificates.render": "Tạo và ký chứng nhận (lệnh)", "certificates.download_zip": "Tải chứng nhận (ZIP)",
    "key.init": "Tạo khóa ký", "key.rotate": "Thay khóa ký", "key.compromise": "Đánh dấu lộ khóa",
    "user.create": "Tạo tài khoản", "users.import": "Nhập tài khoản từ tệp", "user.password_change": "Đổi mật khẩu",
    "item.create": "Soạn câu hỏi", "item.edit": "Sửa câu hỏi", "item.load": "Nạp câu hỏi gốc",
    "item.submit": "Gửi duyệt câu hỏi", "item.approve": "Duyệt câu hỏi", "item.reject": "Trả lại câu hỏi",
    "item.retire": "Ngừng dùng câu hỏi", "bank.import": "Nhập câu hỏi từ tệp",
    "session.create": "Tạo kỳ sát hạch", "session.enrol": "Ghi danh", "attempt.extra_time": "Cộng giờ",
    "attempt.void": "Hủy bài thi", "backup.create": "Sao lưu", "backup.restore": "Phục hồi",
    "db.grant_runtime": "Cấp quyền vai trò CSDL",
    "standard_setting.create": "Mở đợt xác định điểm chuẩn", "standard_setting.rate": "Đánh giá điểm chuẩn",
    "standard_setting.round": "Mở vòng đánh giá mới", "standard_setting.derive": "Xác định điểm chuẩn",
    "standard_setting.cancel": "Hủy đợt xác định điểm chuẩn", "bank.calibrate": "Hiệu chuẩn câu hỏi",
    "user.activate": "Mở lại tài khoản", "user.deactivate": "Khóa tài khoản",
}
TARGET_LABELS = {  # what an entry is about, in the words the other pages use for it
    "attempt": "Bài thi", "exam_session": "Kỳ sát hạch", "certificate": "Giấy chứng nhận",
    "certificates": "Giấy chứng nhận (ký hàng loạt)", "item": "Câu hỏi", "user": "Tài khoản",
    "users": "Tài khoản (nhập từ tệp)", "token_key": "Khóa ký", "backup": "Bản sao lưu",
    "database_role": "Vai trò cơ sở dữ liệu", "calibration_run": "Lần hiệu chuẩn",
    "standard_setting": "Đợt xác định điểm chuẩn", "bank": "Ngân hàng câu hỏi", "unit": "Đơn vị",
}
DETAIL_LABELS = {
    "reason": "Lý do", "serial": "Số hiệu", "serials": "Số hiệu", "new_serial": "Số hiệu mới", "new": "Chứng nhận mới",
    "comment": "Nhận xét", "minutes": "Số phút", "added": "Đã thêm", "candidates": "Số thí sinh",
    "blueprint": "Cấu trúc đề", "version": "Phiên bản", "status": "Trạng thái", "rendered": "Số tệp đã ký",
    "created": "Đã tạo", "errors": "Số lỗi", "attempt": "Bài thi", "reissue_no": "Lần cấp lại",
    "username": "Tên đăng nhập", "role": "Vai trò", "command": "Lệnh",
    "panel": "Hội đồng", "items": "Số câu", "round": "Vòng", "rated": "Số câu đã đánh giá", "raters": "Số thành viên",
    "pass_percent": "Ngưỡng đạt", "previous_pass_percent": "Ngưỡng đạt trước", "previous_version": "Phiên bản trước",
    "cut_percent": "Điểm chuẩn", "spread": "Độ lệch chuẩn", "standard_error": "Sai số chuẩn",
    "rounds": "Điểm chuẩn sau mỗi vòng", "rater_cuts": "Điểm chuẩn từng thành viên",
    "code": "Mã", "versions": "Các phiên bản", "deadline": "Hạn nộp bài", "updated": "Đã cập nhật",
    "skipped": "Bỏ qua", "counts": "Số dòng từng bảng", "created_at": "Lúc sao lưu", "tables": "Số bảng",
    "model": "Mô hình", "persons": "Số bài thi", "responses": "Số câu trả lời", "iterations": "Số vòng lặp",
    "converged": "Hội tụ", "min_responses": "Số câu trả lời tối thiểu",
}
STATUS_LABELS = {"item": ITEM_STATUS_LABELS, "token_key": KEY_STATUSES}  # a detail's status, by the entry's target
ORIGIN = ("via", "os_user", "host")  # where an entry without an actor came from: shown as its actor
DETAIL_LENGTH = 300  # a long list (the serials of a ZIP) is cut on the page; the API gives it whole


@admin.context_processor
def helpers():
    return {"vn_time": vn_time, "role_labels": ROLE_LABELS, "certificate_statuses": STANDING_NAMES,
            "key_statuses": KEY_STATUSES, "action_labels": ACTION_LABELS, "status_text": STATUS_TEXT}


@dataclass
class Confirmation:
    """The page between a form and its action: what will happen, and the form again with `confirmed=1`."""

    title: str
    consequences: list[str]
    action: str
    back: str
    button: str
    fields: dict[str, str]
    facts: list[tuple[str, str]] = field(default_factory=list)
    warning: str | None = None


def confirm(confirmation: Confirmation):
    return render_template("admin/confirm.html", confirm=confirmation)


# -- certificates -------------------------------------------------------------------------------------------


@admin.get("/chung-nhan")
@admin_page
def certificates(user):
    """Find a certificate by serial, holder's name or username; the newest first."""
    text = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "")
    if status and status not in STANDING_NAMES:
        abort(400)
    query = issuing.matching(text, status, clock.today()).options(selectinload(Certificate.user))
    found = page_of(query, {"page": page_number(), "per_page": PER_PAGE}, db.session)
    filters = {name: value for name, value in (("q", text), ("status", status)) if value}
    return render_template("admin/certificates.html", found=found, filters=filters, standing_of=issuing.standing)


def certificate_or_404(public_id: str) -> Certificate:
    cert = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if cert is None:
        abort(404)
    return cert


def certificate_page(cert: Certificate, errors: dict | None = None, forms: dict | None = None, status: int = 200):
    """The certificate as printed, its status today, the key its QR code was signed with, its history, and the
    forms to revoke or reissue it; a refused form comes back with its errors and input."""
    history = db.session.scalars(audit.entries({"target_type": "certificate", "target_id": cert.public_id})
                                 .order_by(None).order_by(AuditEntry.id)).all()
    forms = {"revoke": {"reason": ""}, "reissue": {"holder_name": cert.holder_name, "reason": ""}, **(forms or {})}
    page = render_template(
        "admin/certificate.html", cert=cert, history=history, errors=errors or {}, forms=forms,
        standing=issuing.standing(cert), today_status=issuing.verify_status(cert),
        key=db.session.get(TokenKey, cert.token_kid),
        revoked_by=db.session.get(User, cert.revoked_by_id) if cert.revoked_by_id else None,
        successor=db.session.get(Certificate, cert.superseded_by_id) if cert.superseded_by_id else None,
        predecessor=db.session.scalar(select(Certificate).where(Certificate.superseded_by_id == cert.id)),
        details=details)
    return page, status


@admin.get("/chung-nhan/<public_id>")
@admin_page
def certificate(user, public_id):
    return certificate_page(certificate_or_404(public_id))


@admin.post("/chung-nhan/<public_id>/thu-hoi")
@admin_page
def revoke(user, public_id):
    """POST /api/v1/certificates/<id>/revoke, after a confirmation."""
    cert = certificate_or_404(public_id)
    form = {"reason": typed("reason")}
    try:
        reason = load_form(RevokeSchema(), form)["reason"]
        issuing.refuse_unless_valid(cert, "thu hồi")
        if not confirmed():
            return confirm(Confirmation(
                title=f"Thu hồi giấy chứng nhận số {cert.serial}",
                consequences=[
                    "Từ lúc xác nhận, ai quét mã QR hoặc tải tệp PDF của giấy này lên trang xác minh đều thấy "
                    "ĐÃ THU HỒI kèm lý do dưới đây.",
                    "Không hoàn tác được: giấy đã thu hồi không cấp lại được; muốn có giấy mới, người này phải có "
                    "một bài thi đạt khác.",
                    "Việc thu hồi được ghi vào nhật ký quản trị cùng tên bạn và thời điểm."],
                facts=[("Người được cấp", cert.holder_name), ("Đơn vị", cert.unit_name or "—"),
                       ("Lý do thu hồi", reason)],
                action=url_for("admin.revoke", public_id=public_id),
                back=url_for("admin.certificate", public_id=public_id),
                button="Xác nhận thu hồi", fields=form))
        issuing.revoke(cert, reason, user)
    except ApiError as exc:
        refused(exc)
        return certificate_page(cert, {"revoke": form_errors(exc)}, {"revoke": form}, exc.status)
    flash(f"Đã thu hồi giấy chứng nhận số {cert.serial}.")
    return redirect(url_for("admin.certificate", public_id=public_id))


@admin.post("/chung-nhan/<public_id>/cap-lai")
@admin_page
def reissue(user, public_id):
    """POST /api/v1/certificates/<id>/reissue (a name correction), after a confirmation."""
    cert = certificate_or_404(public_id)
    form = {"holder_name": typed("holder_name"), "reason": typed("reason")}
    try:
        data = load_form(ReissueSchema(), form)
        issuing.refuse_unless_valid(cert, "cấp lại")
        issuing.refuse_same_name(cert, data["holder_name"])
        if not confirmed():
            expiry = cert.expires_on.strftime("%d/%m/%Y") if cert.expires_on else "không thời hạn"
            return confirm(Confirmation(
                title=f"Cấp lại giấy chứng nhận số {cert.serial}",
                consequences=[
                    f"Một giấy chứng nhận mới mang tên «{data['holder_name']}» được cấp hôm nay với số hiệu mới; "
                    f"kết quả, đơn vị, đối tượng và hạn hiệu lực ({expiry}) giữ như bản gốc.",
                    f"Bản số {cert.serial} chuyển sang «đã được cấp lại»: quét mã QR hoặc tải tệp PDF của nó sẽ "
                    "thấy ĐÃ THU HỒI, ghi chú «Đã được cấp lại bằng chứng nhận khác.»",
                    "Tệp PDF mới được tạo và ký ở lần tải đầu tiên; hãy gửi tệp mới cho người được cấp."],
                facts=[("Họ tên trên bản cũ", cert.holder_name), ("Họ tên trên bản mới", data["holder_name"]),
                       ("Lý do", data["reason"])],
                action=url_for("admin.reissue", public_id=public_id),
                back=url_for("admin.certificate", public_id=public_id),
                button="Xác nhận cấp lại", fields=form))
        new = issuing.reissue(cert, data["holder_name"], data["reason"], user)
    except ApiError as exc:
        refused(exc)
        return certificate_page(cert, {"reissue": form_errors(exc)}, {"reissue": form}, exc.status)
    flash(f"Đã cấp lại: giấy chứng nhận mới số {new.serial} thay cho số {cert.serial}.")
    return redirect(url_for("admin.certificate", public_id=new.public_id))


# -- accounts -----------------------------------------------------------------------------------------------


@admin.get("/tai-khoan")
@admin_page
def accounts_list(user):
    """GET /api/v1/users as a page: by role, unit and text in the username or name."""
    given = {name: value.strip() for name, value in request.args.items() if value.strip()}
    try:
        args = UserArgs().load({**given, "per_page": PER_PAGE})  # an unknown role too
    except ValidationError:
        abort(400)
    found = page_of(accounts.listing(user, args).options(selectinload(User.unit)), args, db.session)
    filters = {name: args[name] for name in ("role", "unit", "q") if args.get(name)}
    return render_template("admin/accounts.html", found=found, filters=filters, roles=ROLES, units=tree_options(),
                           now=clock.now(), audiences=audience_names())


# -- keys ---------------------------------------------------------------------------------------------------


def signed_counts() -> dict[str, dict[str, int]]:
    """How many certificates each key's QR codes were signed for, by the certificate's standing today."""
    counts: dict[str, dict[str, int]] = {}
    signed = select(Certificate.token_kid.label("kid"),
                    issuing.standing_sql(clock.today()).label("standing")).subquery()
    for kid, status, number in db.session.execute(
            select(signed.c.kid, signed.c.standing, func.count()).group_by(signed.c.kid, signed.c.standing)):
        counts.setdefault(kid, {})[status] = number
    return counts


def keys_page(errors: dict | None = None, forms: dict | None = None, status: int = 200):
    keys = db.session.scalars(select(TokenKey).order_by(TokenKey.valid_from.desc())).all()
    forms = {"rotate": {"reason": ""}, "compromise": {"kid": "", "reason": ""}, **(forms or {})}
    return render_template("admin/keys.html", keys=keys, counts=signed_counts(), errors=errors or {},
                           forms=forms), status


@admin.get("/khoa")
@admin_page
def keys(user):
    return keys_page()


@admin.post("/khoa/thay-khoa")
@admin_page
def rotate_key(user):
    """`flask keys rotate`, after a confirmation that says what happens to the certificates already issued."""
    form = {"reason": typed("reason")}
    active = db.session.scalar(select(TokenKey).where(TokenKey.status == "active"))
    try:
        reason = load_form(ReasonSchema(), form)["reason"]
        if confirmed() and request.form.get("active", "") != (active.kid if active else ""):
            # Confirmed from a page that showed another key in use: a second tab, or the same form sent again.
            raise ApiError(409, "stale_confirmation", "Khóa đang dùng đã đổi từ lúc bạn xác nhận; hãy xem lại "
                                                      "danh sách khóa trước khi thay tiếp.")
        if not confirmed():
            signed = sum(signed_counts().get(active.kid, {}).values()) if active else 0
            return confirm(Confirmation(
                title="Thay khóa ký mã QR",
                consequences=[
                    "Hệ thống tạo một khóa mới; mọi giấy chứng nhận cấp từ lúc này mang mã QR ký bằng khóa mới.",
                    (f"Khóa đang dùng {active.kid} chuyển sang «đã thay»: {signed} giấy chứng nhận nó đã ký vẫn "
                     "xác minh được như cũ, không cần in lại." if active else "Hiện không có khóa nào đang dùng."),
                    "Tệp PDF đã cấp không thay đổi (chữ ký số trên tệp PDF dùng chứng thư ký số riêng).",
                    "Khóa công khai mới được công bố ngay cho người xác minh ngoại tuyến (/api/v1/verify/keys)."],
                facts=[("Lý do", reason)], action=url_for("admin.rotate_key"), back=url_for("admin.keys"),
                button="Xác nhận thay khóa", fields={**form, "active": active.kid if active else ""}))
        row = keystore.rotate(user, reason)
    except ApiError as exc:
        refused(exc)
        return keys_page({"rotate": form_errors(exc)}, {"rotate": form}, exc.status)
    flash(f"Đã thay khóa: khóa mới {row.kid} đang dùng.")
    return redirect(url_for("admin.keys"))


@admin.post("/khoa/danh-dau-lo")
@admin_page
def compromise_key(user):
    """`flask keys compromise KID --reason …`, after a confirmation that says which certificates stop verifying."""
    form = {"kid": request.form.get("kid", ""), "reason": typed("reason")}
    try:
        reason = load_form(ReasonSchema(), {"reason": form["reason"]})["reason"]
        key = db.session.get(TokenKey, form["kid"]) if form["kid"] else None
        if key is None:
            raise ApiError(422, "validation_error", "Hãy chọn khóa cần đánh dấu lộ.",
                           {"kid": ["Hãy chọn khóa cần đánh dấu lộ."]})
        if not confirmed():
            counts = signed_counts().get(key.kid, {})
            return confirm(Confirmation(
                title=f"Đánh dấu lộ khóa {key.kid}",
                consequences=[
                    f"Mã QR của {sum(counts.values())} giấy chứng nhận do khóa này ký (trong đó "
                    f"{counts.get('valid', 0)} đang có hiệu lực) thành KHÔNG HỢP LỆ khi quét, ngay lập tức; tệp PDF "
                    "mang mã QR đó cũng KHÔNG HỢP LỆ khi tải lên trang xác minh. Không hoàn tác được.",
                    "Muốn người được cấp có giấy chứng nhận hợp lệ, hãy cấp lại giấy chứng nhận cho họ (mã QR mới, "
                    "ký bằng khóa mới).",
                    "Khóa này được công bố là «compromised» cho người xác minh ngoại tuyến; các khóa khác và giấy "
                    "chứng nhận do chúng ký không bị ảnh hưởng."],
                warning=("Đây là khóa đang dùng: hệ thống tạo khóa mới thay thế trước, để giấy chứng nhận cấp "
                         "sau đó vẫn có mã QR hợp lệ." if key.status == "active" else None),
                facts=[("Khóa", key.kid), ("Lý do", reason)], action=url_for("admin.compromise_key"),
                back=url_for("admin.keys"), button="Xác nhận khóa đã bị lộ", fields=form))
        keystore.mark_compromised(key.kid, reason, user)
    except ApiError as exc:
        refused(exc)
        return keys_page({"compromise": form_errors(exc)}, {"compromise": form}, exc.status)
    flash(f"Đã đánh dấu lộ khóa {form['kid']}: các mã QR do nó ký không còn hợp lệ.")
    return redirect(url_for("admin.keys"))


# -- the audit log ------------------------------------------------------------------------------------------


def vietnam_day_start(day: date) -> datetime:
    """00:00 of a Vietnam day, as naive UTC."""
    return datetime(day.year, day.month, day.day) - timedelta(hours=7)


def audit_filters() -> tuple[dict, dict, dict]:
    """(filters for `audit.entries`, the form as typed, errors by field) from the page's query string: dates are
    Vietnam days, both included."""
    form = {name: request.args.get(name, "").strip() for name in
            ("action", "actor", "target_type", "target_id", "from", "to")}
    filters = {name: form[name] for name in ("action", "actor", "target_type", "target_id") if form[name]}
    errors: dict[str, list[str]] = {}
    days = {}
    for name in ("from", "to"):
        if form[name]:
            try:
                days[name] = date.fromisoformat(form[name])
            except ValueError:
                errors[name] = ["Ngày không hợp lệ; chọn ngày trên lịch (ngày/tháng/năm)."]
    if "from" in days and "to" in days and days["to"] < days["from"]:
        errors["to"] = ["Ngày kết thúc phải từ ngày bắt đầu trở đi."]
    if "from" in days:
        filters["since"] = vietnam_day_start(days["from"])
    if "to" in days:
        filters["until"] = vietnam_day_start(days["to"] + timedelta(days=1))
    return filters, form, errors


def details(entry: AuditEntry) -> list[tuple[str, str]]:
    """An entry's details as (label, text) to show, a long text cut; its origin is shown as its actor."""
    shown = []
    for name, value in (entry.details or {}).items():
        if name in ORIGIN:
            continue
        text = detail_text(entry, name, value)
        shown.append((DETAIL_LABELS.get(name, name), text if len(text) <= DETAIL_LENGTH
                       else text[:DETAIL_LENGTH] + "…"))
    return shown


def detail_text(entry: AuditEntry, name: str, value) -> str:
    """One detail's value as people read it: roles and statuses by their Vietnamese names, a yes or no, a stored
    time in Vietnam time; other values as they were recorded."""
    if name == "role":
        return ROLE_LABELS.get(value, str(value))
    if name == "status":
        return STATUS_LABELS.get(entry.target_type, {}).get(value, str(value))
    if isinstance(value, bool):
        return "có" if value else "không"
    if name == "deadline" and isinstance(value, str):
        try:
            return vn_time(datetime.fromisoformat(value), "%d/%m/%Y %H:%M:%S")
        except ValueError:
            return value
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def actor_of(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return f"{entry.actor.full_name} ({entry.actor.username})"
    found = entry.details or {}
    if found.get("via") == "cli":
        return f"Lệnh trên máy chủ ({found.get('os_user', '?')}@{found.get('host', '?')})"
    return "Hệ thống"


@admin.get("/nhat-ky")
@admin_page
def audit_log(user):
    """GET /api/v1/audit as a page: by action, actor, target and Vietnam dates; times in Vietnam time."""
    filters, form, errors = audit_filters()
    page = page_number()
    found = {"items": [], "total": 0, "page": page, "per_page": PER_PAGE} if errors else \
        page_of(audit.entries(filters), {"page": page, "per_page": PER_PAGE}, db.session)
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    target_types = db.session.scalars(select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)).all()
    return render_template("admin/audit.html", found=found, form=form, errors=errors, actions=actions,
                           target_types=target_types, target_labels=TARGET_LABELS, details=details, actor_of=actor_of,
                           filters={name: value for name, value in form.items() if value}), 422 if errors else 200
