"""Item calibration from closed attempts, the parameters the service draws and judges with, and the decision
quality of the current blueprints (the measures themselves live in question_bank.irt and question_bank.decision).

Choices made here:

- A calibration reads every item of every submitted attempt (closed by its candidate or by the clock; voided
  attempts are left out) with its stored credit: partial credit enters as its fraction (irt treats a credit x
  as a fractional response), an item left unanswered as 0. ``c`` is fixed per version by its type
  (``irt.guessing_floor``).
- Parameters are per item version (a new version is a new item to the model). A run keeps history: the
  versions it calibrates get a new row, ``current``, and their earlier rows stop being current.
- Each run fixes the ability of the candidates it read to N(0, 1): rows of different runs are on the scales
  of their samples. Calibrate the whole bank at once (no ``--blueprint``) to keep one scale.
- The service uses a version's calibration from ``CALIBRATION_MIN_RESPONSES`` responses; below, its prior
  (``irt.prior_parameters``, from its code, level and type).
- A blueprint's decision figures rest on measured parameters when at least ``MEASURED_SHARE`` of the items
  of its cells are calibrated; only then can they refuse it (priors are cautious by design).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from certificates.pdf import vn_number
from question_bank import decision, irt
from question_bank.assembly import Shortage, check_coverage

from .bank import drawable
from .extensions import db
from .models import (
    Attempt,
    AttemptItem,
    Blueprint,
    CalibrationRun,
    Competence,
    Item,
    ItemCalibration,
    ItemVersion,
)

MEASURED_SHARE = 0.8


class CalibrationError(ValueError):
    """Nothing to calibrate; the message is for the operator, in Vietnamese."""


# -- calibration ---------------------------------------------------------------------------------------------


def calibrate(blueprint_code: str | None = None, min_responses: int = 1, model: str = "2pl") -> CalibrationRun:
    """Calibrate every item version with ``min_responses`` responses or more in the submitted attempts (of the
    blueprint ``blueprint_code``, any version, or of all); store one current row per version. Flushes.

    :raise CalibrationError: no blueprint of that code, or no version with enough responses.
    """
    query = (select(AttemptItem.attempt_id, AttemptItem.item_version_id, AttemptItem.credit)
             .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.status == "submitted"))
    if blueprint_code is not None:
        if db.session.scalar(select(Blueprint.id).where(Blueprint.code == blueprint_code).limit(1)) is None:
            raise CalibrationError(f"Không có cấu trúc đề {blueprint_code}.")
        query = query.join(Blueprint, Blueprint.id == Attempt.blueprint_id).where(Blueprint.code == blueprint_code)
    rows = db.session.execute(query.order_by(AttemptItem.attempt_id)).all()
    counts: dict[int, int] = {}
    for _, version_id, _ in rows:
        counts[version_id] = counts.get(version_id, 0) + 1
    kept = sorted(version_id for version_id, n in counts.items() if n >= min_responses)
    if not kept:
        raise CalibrationError(f"Chưa có phiên bản câu hỏi nào có từ {min_responses} câu trả lời trong các bài thi đã "
                               "nộp: chưa hiệu chuẩn được.")
    chosen = set(kept)
    data = irt.Responses.from_records(
        ((attempt_id, version_id, credit or 0.0) for attempt_id, version_id, credit in rows if version_id in chosen),
        item_keys=kept)
    kinds = dict((v.id, (v.type, len(v.options))) for v in db.session.execute(
        select(ItemVersion.id, ItemVersion.type, ItemVersion.options).where(ItemVersion.id.in_(kept))))
    floors = [irt.guessing_floor(*kinds[version_id]) for version_id in kept]
    result = irt.calibrate(data, floors, model=model)

    run = CalibrationRun(model=model, blueprint_code=blueprint_code, min_responses=min_responses,
                         persons=data.persons, responses=len(data.credit), items=len(kept),
                         iterations=result.iterations, converged=result.converged,
                         log_likelihood=result.log_likelihood)
    db.session.add(run)
    db.session.flush()
    db.session.execute(update(ItemCalibration).where(ItemCalibration.item_version_id.in_(kept),
                                                     ItemCalibration.current).values(current=False))
    for version_id, parameters in result.by_key().items():
        db.session.add(ItemCalibration(
            run_id=run.id, item_version_id=version_id, a=parameters.a, b=parameters.b, c=parameters.c,
            se_a=parameters.se_a, se_b=parameters.se_b, n=parameters.n, current=True))
    db.session.flush()
    return run


def latest_run() -> tuple | None:
    """(id, time) of the latest calibration run: what every calibration-dependent cache is keyed on."""
    row = db.session.execute(select(CalibrationRun.id, CalibrationRun.created_at)
                             .order_by(CalibrationRun.id.desc()).limit(1)).first()
    return tuple(row) if row else None


# -- the parameters the service uses -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pools:
    """A blueprint's cells as the decision simulation takes them, and how many of their items are measured."""

    pools: dict[tuple[str, str], list[decision.CalibratedItem]]
    measured: int
    total: int

    def shortage(self, blueprint: Blueprint) -> list[Shortage]:
        """The blueprint's cells these pools cannot fill (empty when a form can be drawn)."""
        return check_coverage(blueprint.cells, {cell: len(pool) for cell, pool in self.pools.items()})

    @property
    def measured_share(self) -> float:
        return self.measured / self.total if self.total else 0.0

    @property
    def on_measured(self) -> bool:
        return self.total > 0 and self.measured_share >= MEASURED_SHARE


def item_parameters(versions: Iterable) -> dict[int, tuple[irt.ItemParameters, bool]]:
    """Per version id: (parameters, measured). ``versions``: rows with ``id``, ``code`` (the item's), ``level``,
    ``type``, ``option_count`` and the current calibration's ``a, b, c, se_a, se_b, n`` (None when there is
    none). Measured: the calibration rests on ``CALIBRATION_MIN_RESPONSES`` responses or more; else the prior."""
    minimum = current_app.config["CALIBRATION_MIN_RESPONSES"]
    found = {}
    for v in versions:
        calibrated = irt.ItemParameters(v.a, v.b, v.c, v.se_a, v.se_b, v.n) if v.n is not None else None
        parameters = irt.item_parameters(v.code, v.level, v.type, v.option_count, calibrated=calibrated,
                                         min_responses=minimum)
        found[v.id] = (parameters, parameters.source == "calibrated")
    return found


def blueprint_pools(blueprint: Blueprint) -> Pools:
    """The active items of the blueprint's audience in its cells, with their parameters (``item_parameters``)."""
    cells = {(area, level) for area, level, _ in blueprint.cells}
    rows = db.session.execute(
        drawable(blueprint.audience_code, ItemVersion.item_id, ItemVersion.id, Competence.area_code.label("area"),
                 ItemVersion.level_code.label("level"), ItemVersion.competence_code, ItemVersion.enemy_group,
                 Item.code, ItemVersion.type, ItemVersion.options, ItemCalibration.a, ItemCalibration.b,
                 ItemCalibration.c, ItemCalibration.se_a, ItemCalibration.se_b, ItemCalibration.n)
        .join(Item, Item.id == ItemVersion.item_id)
        .outerjoin(ItemCalibration, (ItemCalibration.item_version_id == ItemVersion.id) & ItemCalibration.current)
        .order_by(ItemVersion.id)
    ).all()
    rows = [_Version(r) for r in rows if (r.area, r.level) in cells]
    parameters = item_parameters(rows)
    pools: dict[tuple[str, str], list[decision.CalibratedItem]] = {}
    measured = 0
    for r in rows:
        p, is_measured = parameters[r.id]
        measured += is_measured
        pools.setdefault((r.area, r.level), []).append(
            decision.CalibratedItem(r.item_id, r.id, p.a, p.b, p.c, r.competence_code, r.enemy_group))
    return Pools(pools, measured, len(rows))


class _Version:
    """A pool row with the option count ``item_parameters`` reads."""

    __slots__ = ("item_id", "id", "area", "level", "competence_code", "enemy_group", "code", "type",
                 "option_count", "a", "b", "c", "se_a", "se_b", "n")

    def __init__(self, row):
        for name in self.__slots__:
            if name != "option_count":
                setattr(self, name, getattr(row, name))
        self.option_count = len(row.options or [])


def rule_of(blueprint: Blueprint) -> dict:
    """The blueprint entry as ``content/blueprints.yaml`` has it, as question_bank's functions take it."""
    return {**blueprint.spec, "code": blueprint.code, "version": blueprint.version}


# -- difficulty at the cut, for assembly ---------------------------------------------------------------------

# Per blueprint id: (key, {item id: P(right) of the borderline candidate}). The key is the latest calibration
# run, the threshold of use and the pool's fingerprint, so a calibration or a change of the bank recomputes it;
# each worker process keeps its own (a few ms to rebuild).
_AT_CUT: dict[int, tuple[tuple, dict]] = {}


def difficulties_at_cut(blueprint: Blueprint, fingerprint: tuple) -> dict:
    """Per item id of the blueprint's cells, the probability that its borderline candidate answers it right
    (``decision.difficulties_at_cut``): what assembly balances. Cached; ``fingerprint`` identifies the pool
    (e.g. its size and the sum of its version ids). Empty when the bank cannot fill the blueprint."""
    key = (blueprint.code, blueprint.version, latest_run(), current_app.config["CALIBRATION_MIN_RESPONSES"],
           fingerprint)
    cached = _AT_CUT.get(blueprint.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    pools = blueprint_pools(blueprint)
    if pools.shortage(blueprint):
        at_cut: dict = {}
    else:
        at_cut = decision.difficulties_at_cut(rule_of(blueprint), pools.pools)[1]
    _AT_CUT[blueprint.id] = (key, at_cut)
    return at_cut


# -- decision quality ----------------------------------------------------------------------------------------


# Pairs of forms `flask blueprints check` simulates by default, and the statistics page: the same figures in both.
CHECK_FORMS = 100

# Pairs of forms the gates simulate for a new blueprint version (`bank load`, a derived pass mark): ~0.1 s each
# on the shipped bank, so that `bank load` (run by bin/start and by the test suite's template) stays quick;
# `blueprints check` defaults to CHECK_FORMS.
GATE_FORMS = 30


@dataclass(frozen=True)
class Check:
    """What ``check_blueprint`` found for one blueprint."""

    blueprint: Blueprint
    pools: Pools
    quality: decision.DecisionQuality | None  # None: the bank cannot fill the blueprint
    shortage: list[Shortage]

    def below(self, minimum: float) -> bool:
        return self.quality is not None and self.quality.consistency < minimum

    def refused(self, minimum: float) -> bool:
        """Below the minimum on measured parameters: the blueprint must not be used."""
        return self.below(minimum) and self.pools.on_measured


def check_blueprint(blueprint: Blueprint, forms: int = CHECK_FORMS) -> Check:
    """``decision.decision_quality`` of the blueprint on its active pools (``forms`` pairs of forms)."""
    pools = blueprint_pools(blueprint)
    short = pools.shortage(blueprint)
    if short:
        return Check(blueprint, pools, None, short)
    return Check(blueprint, pools, decision.decision_quality(rule_of(blueprint), pools.pools, forms=forms,
                                                             seed=blueprint.code), [])


HEADER = ["cấu trúc đề", "số câu", "ngưỡng đạt", "ngưỡng lĩnh vực", "độ tin cậy", "SE tại ngưỡng (điểm %)",
          "tỷ lệ đạt", "độ chính xác", "độ nhất quán", "kappa", "đủ năng lực, trượt do lĩnh vực",
          "chênh lệch giữa hai đề (TB / p95)", "đã hiệu chuẩn"]


def table_row(check: Check) -> list[str]:
    """One row of ``HEADER`` (the columns of ``python -m question_bank.decision``, in Vietnamese)."""
    spec, quality, pools = check.blueprint.spec, check.quality, check.pools
    at = spec.get("area_min_items", 1)
    area_rule = f"{spec['area_min_percent']}% nếu ≥{at} câu" if at > 1 else f"{spec['area_min_percent']}% mọi lĩnh vực"
    calibrated = f"{pools.measured}/{pools.total}"
    name = f"{check.blueprint.code} v{check.blueprint.version}"
    if quality is None:
        return [name, str(check.blueprint.item_count), str(spec["pass_percent"]), area_rule,
                *(["—"] * 8), calibrated]

    def number(value: float | None, form: str = "{:.3f}") -> str:
        return "—" if value is None or not math.isfinite(value) else form.format(value)

    return [name, str(quality.items), str(spec["pass_percent"]), area_rule, number(quality.reliability),
            number(quality.se_at_cut, "{:.1f}"), number(quality.pass_rate), number(quality.accuracy),
            number(quality.consistency), number(quality.kappa), number(quality.competent_failed_on_area),
            f"{quality.form_difference_mean:.2f} / {quality.form_difference_p95:.2f}", calibrated]


def verdicts(check: Check, minimum: float) -> list[str]:
    """The lines that follow the table for one blueprint: a refusal, a warning, or nothing."""
    name = f"Cấu trúc đề {check.blueprint.code} v{check.blueprint.version}"
    if check.shortage:
        cells = "; ".join(f"{s.area}/{s.level}: cần {s.needed}, có {s.available}" for s in check.shortage)
        return [f"Cảnh báo: {name}: ngân hàng không đủ câu để tạo đề ({cells}); chưa đánh giá được."]
    if not check.below(minimum):
        if not check.pools.on_measured:
            return [f"Lưu ý: {name}: số liệu dựa trên tham số ước định (mới hiệu chuẩn {check.pools.measured}/"
                    f"{check.pools.total} câu), chỉ để tham khảo."]
        return []
    figure = f"độ nhất quán {vn_number(check.quality.consistency, 3)} dưới mức tối thiểu {vn_number(minimum, 2)}"
    if check.pools.on_measured:
        return [f"Lỗi: {name}: {figure}, trên tham số đã hiệu chuẩn ({check.pools.measured}/{check.pools.total} "
                "câu): quyết định đạt/không đạt chưa đủ tin cậy.", *_what_it_takes(check.quality, minimum)]
    return [f"Cảnh báo: {name}: {figure}, nhưng mới hiệu chuẩn {check.pools.measured}/{check.pools.total} câu "
            f"(cần ≥{MEASURED_SHARE:.0%}); tham số ước định vốn thận trọng, nên chưa chặn. Hãy hiệu chuẩn "
            "(flask bank calibrate) khi đủ bài thi.", *_what_it_takes(check.quality, minimum)]


def _what_it_takes(quality: decision.DecisionQuality, minimum: float) -> list[str]:
    """What reaching ``minimum`` would need, by the normal approximation and Spearman–Brown."""
    if not quality.reliability or not 0 < quality.reliability < 1 or not 0 < quality.pass_rate < 1:
        return []
    needed = decision.reliability_for_consistency(minimum, quality.pass_rate)
    if needed <= quality.reliability:
        return []
    items = math.ceil(quality.items * decision.spearman_brown_length(quality.reliability, needed))
    return [f"  Với tỷ lệ đạt {vn_number(100 * quality.pass_rate, 0)}%, cần độ tin cậy khoảng {vn_number(needed, 3)} "
            f"(hiện {vn_number(quality.reliability, 3)}): khoảng {items} câu nếu câu hỏi như hiện nay "
            "(Spearman–Brown), hoặc câu hỏi có độ phân biệt cao hơn."]

