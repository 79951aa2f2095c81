"""Web pages of standard setting (modified Angoff): the admin opens a study, follows the panel's figures, opens
rounds and derives the pass mark (after a confirmation); a panel member rates the study's items on their own
page, one percent per item, and from round 2 on sees the panel's mean of the earlier rounds.

Every action calls the operation the API calls (service/standard_settings.py), which audits it."""

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from . import clock
from . import standard_settings as studies
from .admin_web import Confirmation, confirm
from .errors import ApiError
from .extensions import db
from .models import Blueprint as ExamBlueprint
from .models import StandardSetting
from .pages import confirmed, form_errors, load_form, staff_page, typed
from .schemas.standard_settings import StudyCreateSchema
from .staff_web import _blueprint_options, _usernames
from .unit_of_work import refused

standard = Blueprint("standard", __name__)
admin_page = staff_page()
panel_page = staff_page("author", "reviewer", "proctor", "unit_manager")

PERCENT = "Nhập một số từ 0 đến 100 (tối đa 2 chữ số thập phân), hoặc để trống."


@standard.app_template_filter("percent")
def percent(value) -> str:
    """A percent as Vietnamese writes it: 57,33 %; a whole one without decimals."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    text = format(number.normalize(), "f") if number == number.to_integral_value() else f"{number:.2f}"
    return text.replace(".", ",") + " %"


def _probability_as_percent(text: str | None) -> str:
    """A stored probability (0.655) as the percent the input shows (65,5)."""
    if text is None:
        return ""
    return format((Decimal(text) * 100).normalize(), "f").replace(".", ",")


def _study(study_id: int) -> StandardSetting:
    study = db.session.get(StandardSetting, study_id)
    if study is None:
        abort(404)
    return study


# -- the admin ----------------------------------------------------------------------------------------------


def _list_page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    found = db.session.scalars(select(StandardSetting).order_by(StandardSetting.id.desc()).limit(200)).all()
    current = db.session.scalars(select(ExamBlueprint).where(ExamBlueprint.current)
                                 .order_by(ExamBlueprint.code)).all()
    form = {"blueprint": "", "title": "", "panel": "", "items_per_cell": "3", **(form or {})}
    return render_template("admin/standard_settings.html", studies=found, current=current, form=form,
                           errors=errors or {}, blueprints=_blueprint_options(),
                           status_text=studies.STATUS_TEXT), status


@standard.route("/quan-ly/diem-chuan", methods=["GET", "POST"])
@admin_page
def study_list(user):
    """GET /api/v1/standard-settings and its POST as a form; the current blueprints with their pass marks."""
    if request.method == "GET":
        return _list_page()
    form = {name: typed(name) for name in ("blueprint", "title", "panel", "items_per_cell")}
    try:
        data = load_form(StudyCreateSchema(), {"blueprint": form["blueprint"], "title": form["title"],
                                               "panel": _usernames(form["panel"]),
                                               "items_per_cell": form["items_per_cell"] or "3"})
        study = studies.create_study(data, user)
    except ApiError as exc:
        refused(exc)
        return _list_page(form, form_errors(exc), exc.status)
    flash(f"Đã mở đợt xác định điểm chuẩn với {len(study.items)} câu và {len(study.panel)} thành viên hội đồng.")
    return redirect(url_for("standard.study_admin", study_id=study.id))


def _admin_page(study: StandardSetting, errors: dict | None = None, status: int = 200):
    return render_template("admin/standard_setting.html", study=study, found=studies.figures(study),
                           errors=errors or {}, status_text=studies.STATUS_TEXT), status


@standard.get("/quan-ly/diem-chuan/<int:study_id>")
@admin_page
def study_admin(user, study_id):
    """GET /api/v1/standard-settings/<id>/result as a page, with the forms to open a round and to derive."""
    return _admin_page(_study(study_id))


@standard.post("/quan-ly/diem-chuan/<int:study_id>/vong-moi")
@admin_page
def next_round(user, study_id):
    """POST /api/v1/standard-settings/<id>/rounds."""
    study = _study(study_id)
    try:
        studies.open_round(study, user)
    except ApiError as exc:
        refused(exc)
        return _admin_page(study, form_errors(exc), exc.status)
    flash(f"Đã mở vòng {study.round}: hội đồng đánh giá lại sau khi thảo luận.")
    return redirect(url_for("standard.study_admin", study_id=study_id))


@standard.post("/quan-ly/diem-chuan/<int:study_id>/xac-dinh")
@admin_page
def derive(user, study_id):
    """POST /api/v1/standard-settings/<id>/derive, after a confirmation that says what the new version does."""
    study = _study(study_id)
    try:
        if not confirmed():
            studies.refuse_unless_open(study)
            found = studies.figures(study)
            if found["missing"]:
                studies.refuse_if_missing(study, "xác định điểm chuẩn")
            old = study.blueprint.spec["pass_percent"]
            return confirm(Confirmation(
                title=f"Xác định điểm chuẩn cho {study.blueprint_code}",
                consequences=[
                    f"Cấu trúc đề {study.blueprint_code} có phiên bản mới (phiên bản {study.blueprint_version + 1} "
                    f"trở lên) với ngưỡng đạt {found['pass_percent']}% (trước đây {old}%); mọi nội dung khác giữ "
                    f"nguyên. Phiên bản mới thành phiên bản đang dùng.",
                    "Kỳ sát hạch tạo từ lúc này dùng phiên bản mới. Kỳ sát hạch đã tạo trước đó, kể cả kỳ đang mở, "
                    "giữ phiên bản cũ và ngưỡng đạt cũ; bài thi đã làm giữ nguyên kết quả.",
                    "Đợt đánh giá đóng lại: không nhận thêm đánh giá. Việc này được ghi vào nhật ký quản trị."],
                facts=[("Điểm chuẩn của hội đồng", percent(found["cut_percent"])),
                       ("Ngưỡng đạt mới (làm tròn đến 1 %)", f"{found['pass_percent']} %"),
                       ("Số thành viên", str(found["raters"])),
                       ("Độ lệch chuẩn giữa các thành viên", percent(found["spread"])),
                       ("Sai số chuẩn", percent(found["standard_error"]))],
                action=url_for("standard.derive", study_id=study_id),
                back=url_for("standard.study_admin", study_id=study_id),
                button="Xác nhận điểm chuẩn", fields={}))
        studies.derive(study, user, clock.now())
    except ApiError as exc:
        refused(exc)
        return _admin_page(study, form_errors(exc), exc.status)
    flash(f"Đã xác định điểm chuẩn: cấu trúc đề {study.blueprint_code} phiên bản {study.result_blueprint.version}, "
          f"ngưỡng đạt {study.pass_percent}%.")
    return redirect(url_for("standard.study_admin", study_id=study_id))


@standard.post("/quan-ly/diem-chuan/<int:study_id>/huy")
@admin_page
def cancel(user, study_id):
    """POST /api/v1/standard-settings/<id>/cancel, after a confirmation."""
    study = _study(study_id)
    try:
        if not confirmed():
            studies.refuse_unless_open(study)
            return confirm(Confirmation(
                title=f"Hủy đợt «{study.title}»",
                consequences=["Đợt đánh giá đóng lại mà không xác định điểm chuẩn; cấu trúc đề không thay đổi.",
                              "Các đánh giá đã nhập được giữ lại để tra cứu. Không hoàn tác được."],
                action=url_for("standard.cancel", study_id=study_id),
                back=url_for("standard.study_admin", study_id=study_id), button="Xác nhận hủy đợt", fields={}))
        studies.cancel(study, user)
    except ApiError as exc:
        refused(exc)
        return _admin_page(study, form_errors(exc), exc.status)
    flash("Đã hủy đợt xác định điểm chuẩn.")
    return redirect(url_for("standard.study_admin", study_id=study_id))


# -- a panel member -----------------------------------------------------------------------------------------


def _rating_page(study: StandardSetting, user, typed_values: dict | None = None, errors: dict | None = None,
                 status: int = 200):
    items = studies.rated_items(study, user)
    for item in items:
        item["value"] = (typed_values or {}).get(item["item_version_id"],
                                                 _probability_as_percent(item["my_probability"] or item["my_previous"]))
    return render_template("standard/rate.html", study=study, items=items, errors=errors or {},
                           status_text=studies.STATUS_TEXT), status


def _member_study(study_id: int, user) -> StandardSetting:
    study = _study(study_id)
    if not studies.on_panel(study, user):
        abort(403)
    return study


@standard.route("/diem-chuan/<int:study_id>", methods=["GET", "POST"])
@panel_page
def rate_page(user, study_id):
    """The study's items (text, options, key), one percent each, for a member of its panel. Posted, it is PUT
    /api/v1/standard-settings/<id>/ratings: each filled percent, divided by 100, is the item's rating in this
    round; an empty one is left as it is. (One rule for both methods: a path id beyond an integer then finds no
    route at all, rather than the other method's.)"""
    study = _member_study(study_id, user)
    if request.method == "GET":
        return _rating_page(study, user)
    values, errors, given = {}, {}, []
    for entry in study.items:
        text = request.form.get(f"p-{entry.item_version_id}", "").strip().replace(",", ".")
        values[entry.item_version_id] = text
        if not text:
            continue
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not 0 <= number <= 100 \
                or number != number.quantize(Decimal("0.01")):
            errors[f"p-{entry.item_version_id}"] = [PERCENT]
            continue
        given.append({"item_version_id": entry.item_version_id, "probability": number / 100})
    if errors:
        errors["_form"] = ["Có ô chưa hợp lệ, xem các câu được đánh dấu; chưa lưu đánh giá nào."]
        return _rating_page(study, user, values, errors, 422)
    if not given:
        flash("Chưa nhập đánh giá nào.")
        return redirect(url_for("standard.rate_page", study_id=study_id))
    try:
        saved = studies.rate(study, user, given, clock.now())
    except ApiError as exc:
        refused(exc)
        return _rating_page(study, user, values, form_errors(exc), exc.status)
    flash(f"Đã lưu {saved} đánh giá ở vòng {study.round}.")
    return redirect(url_for("standard.rate_page", study_id=study_id))
