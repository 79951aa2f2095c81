"""Calibration from closed attempts (`flask bank calibrate`), the parameters the service uses, `flask blueprints
check` and the decision-consistency gate of `flask bank load`, and the difficulty assembly balances at a start."""

import re
import shutil
from datetime import timedelta

import numpy as np
import pytest
import yaml
from sqlalchemy import func, insert, select

from certificates.pdf import vn_number
from question_bank import criteria, decision, irt
from service import calibration, clock, exams
from service.extensions import db
from service.models import (
    Attempt,
    AttemptItem,
    AuditEntry,
    Blueprint,
    CalibrationRun,
    ExamSession,
    ItemCalibration,
    ItemVersion,
)
from service.models.bank import item_version_audiences


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _session(blueprint_code="BP-CCVC") -> ExamSession:
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.code == blueprint_code, Blueprint.current))
    now = clock.now()
    session = ExamSession(title="Kỳ hiệu chuẩn", blueprint=blueprint, opens_at=now - timedelta(days=30),
                          closes_at=now - timedelta(days=1), max_attempts=10_000)
    db.session.add(session)
    db.session.flush()
    return session


def _simulate(make_user, versions, truth, persons, seed, *, status="submitted", first_number=1, session=None):
    """Submitted attempts of `persons` simulated candidates (one account, one attempt number each) who answered
    every one of `versions`, right with probability irt.probability(θ, a, b, c), θ ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    user = make_user("candidate")
    session = session or _session()
    a, b, c = (np.array([truth[v.id][k] for v in versions]) for k in range(3))
    theta = rng.normal(0.0, 1.0, persons)
    right = rng.random((persons, len(versions))) < irt.probability(theta[:, None], a, b, c)
    now = clock.now()
    db.session.execute(insert(Attempt), [
        {"session_id": session.id, "user_id": user.id, "number": first_number + k, "status": status, "seed": k,
         "blueprint_id": session.blueprint_id, "framework_version": "2026.2", "started_at": now,
         "deadline": now, "closed_at": now if status != "in_progress" else None} for k in range(persons)])
    ids = list(db.session.scalars(select(Attempt.id).where(
        Attempt.user_id == user.id, Attempt.number >= first_number).order_by(Attempt.number)))
    db.session.execute(insert(AttemptItem), [
        {"attempt_id": attempt_id, "position": j + 1, "item_version_id": v.id, "option_order": [],
         "credit": float(right[k, j])}
        for k, attempt_id in enumerate(ids) for j, v in enumerate(versions)])
    db.session.commit()
    return session


def _versions(count, audience="cong_chuc"):
    return list(db.session.scalars(
        select(ItemVersion).join(item_version_audiences, item_version_audiences.c.item_version_id == ItemVersion.id)
        .where(ItemVersion.status == "active", item_version_audiences.c.audience_code == audience)
        .order_by(ItemVersion.id).limit(count)))


def _truth(versions, seed):
    rng = np.random.default_rng(seed)
    return {v.id: (float(np.exp(rng.normal(0, 0.3))), float(rng.normal(0, 1)),
                   irt.guessing_floor(v.type, len(v.options))) for v in versions}


def test_calibrate_recovers_the_parameters_responses_were_drawn_from(app, bank, make_user):
    versions = _versions(30)
    truth = _truth(versions, 11)
    session = _simulate(make_user, versions, truth, 600, 12)
    # Not closed by a submit or the clock: never read.
    _simulate(make_user, versions[:5], truth, 3, 13, status="voided", session=session)
    _simulate(make_user, versions[:5], truth, 2, 14, status="in_progress", session=session)

    result = run(app, "bank", "calibrate", "--blueprint", "BP-CCVC")
    assert result.exit_code == 0, result.output
    assert "30 phiên bản câu hỏi, 600 bài thi, 18000 câu trả lời; hội tụ" in result.output
    assert "30 phiên bản có từ 200 câu trả lời trở lên" in result.output

    rows = {r.item_version_id: r for r in db.session.scalars(select(ItemCalibration))}
    assert set(rows) == {v.id for v in versions}
    assert {r.n for r in rows.values()} == {600} and all(r.current for r in rows.values())
    estimated = np.array([(rows[v.id].a, rows[v.id].b) for v in versions])
    true = np.array([truth[v.id][:2] for v in versions])
    rmse_a, rmse_b = np.sqrt(np.mean((estimated - true) ** 2, axis=0))
    assert rmse_a < 0.3 and rmse_b < 0.35, (rmse_a, rmse_b)
    assert np.corrcoef(estimated[:, 1], true[:, 1])[0, 1] > 0.95
    assert all(rows[v.id].c == truth[v.id][2] for v in versions)  # fixed by the type, never estimated
    assert all(0 < rows[v.id].se_b < 0.5 for v in versions)

    run_row = db.session.scalar(select(CalibrationRun))
    assert (run_row.persons, run_row.responses, run_row.items, run_row.blueprint_code) == (600, 18000, 30, "BP-CCVC")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.calibrate"))
    assert entry.target_id == str(run_row.id) and entry.actor_id is None
    assert entry.details["via"] == "cli" and entry.details["command"].endswith("bank calibrate")
    assert entry.details["persons"] == 600 and entry.details["converged"] is True


def test_a_new_calibration_keeps_the_earlier_rows_as_history(app, bank, make_user):
    versions = _versions(8)
    truth = _truth(versions, 21)
    session = _simulate(make_user, versions, truth, 150, 22)
    assert run(app, "bank", "calibrate").exit_code == 0
    _simulate(make_user, versions[:4], truth, 100, 23, first_number=1, session=session)
    second = run(app, "bank", "calibrate", "--min-responses", "200")
    assert second.exit_code == 0, second.output
    assert "4 phiên bản câu hỏi, 250 bài thi" in second.output  # the last 4 versions have 150 responses only

    first_run, second_run = db.session.scalars(select(CalibrationRun.id).order_by(CalibrationRun.id))
    for v in versions:
        rows = list(db.session.scalars(select(ItemCalibration).where(ItemCalibration.item_version_id == v.id)
                                       .order_by(ItemCalibration.id)))
        current = [r for r in rows if r.current]
        assert len(current) == 1
        if v in versions[:4]:
            assert [r.run_id for r in rows] == [first_run, second_run] and current[0].run_id == second_run
            assert current[0].n == 250
        else:
            assert [r.run_id for r in rows] == [first_run] and current[0].n == 150
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "bank.calibrate")) == 2


def test_calibrate_refuses_when_there_is_nothing_to_calibrate(app, bank, make_user):
    nothing = run(app, "bank", "calibrate")
    assert nothing.exit_code != 0 and "chưa hiệu chuẩn được" in nothing.output
    unknown = run(app, "bank", "calibrate", "--blueprint", "BP-KHONG-CO")
    assert unknown.exit_code != 0 and "Không có cấu trúc đề BP-KHONG-CO" in unknown.output
    assert run(app, "bank", "calibrate", "--min-responses", "0").exit_code != 0
    versions = _versions(3)
    _simulate(make_user, versions, _truth(versions, 1), 5, 2)
    too_few = run(app, "bank", "calibrate", "--min-responses", "6")
    assert too_few.exit_code != 0 and "từ 6 câu trả lời" in too_few.output
    assert db.session.scalar(select(func.count()).select_from(CalibrationRun)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "bank.calibrate")) == 0


def _fake_calibration(audience, a, b, n=1000, share=1.0):
    """A measured calibration of `share` of the audience's active versions, every one with these a and b."""
    versions = _versions(10_000, audience)
    run_row = CalibrationRun(model="2pl", min_responses=1, persons=n, responses=n * 50, items=len(versions),
                             iterations=10, converged=True, log_likelihood=-1.0)
    db.session.add(run_row)
    db.session.flush()
    for v in versions[:int(len(versions) * share)]:
        db.session.add(ItemCalibration(run_id=run_row.id, item_version_id=v.id, a=a, b=b, n=n, current=True,
                                       c=irt.guessing_floor(v.type, len(v.options))))
    db.session.commit()
    return versions


def _blueprint(code="BP-CCVC"):
    return db.session.scalar(select(Blueprint).where(Blueprint.code == code, Blueprint.current))


def test_the_service_uses_a_calibration_from_the_configured_number_of_responses(app, bank):
    versions = _fake_calibration("cong_chuc", 1.7, 0.3, n=150)
    pools = calibration.blueprint_pools(_blueprint())
    assert pools.measured == 0 and pools.total > 150  # 150 responses: below 200, the priors
    entry = next(item for pool in pools.pools.values() for item in pool)
    assert (entry.a, entry.b) != (1.7, 0.3)
    app.config["CALIBRATION_MIN_RESPONSES"] = 100
    pools = calibration.blueprint_pools(_blueprint())
    assert pools.measured == pools.total and pools.on_measured
    assert {(item.a, item.b) for pool in pools.pools.values() for item in pool} == {(1.7, 0.3)}
    in_cells = {item.version_id for pool in pools.pools.values() for item in pool}
    assert in_cells <= {v.id for v in versions}


def _table(output):
    """The rows of the printed table by blueprint code: the cells as strings."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if re.fullmatch(r"BP-[A-Z]+ v\d+", cells[0]):
            rows[cells[0].split()[0]] = cells
    return rows


def test_blueprints_check_on_priors_reports_and_warns(app, bank):
    result = run(app, "blueprints", "check", "--forms", "20")
    assert result.exit_code == 0, result.output
    rows = _table(result.output)
    assert set(rows) == {"BP-CCVC", "BP-LDQL", "BP-CTCDS"}
    for code, cells in rows.items():
        assert cells[1] == "50"
        reliability, pass_rate, accuracy, consistency = (float(cells[i]) for i in (4, 6, 7, 8))
        assert 0.6 < reliability < 0.95 and 0.05 < pass_rate < 0.95 and 0.75 < accuracy < 1
        assert 0.75 < consistency < 0.95
        assert re.fullmatch(r"0/\d{3}", cells[-1])
        assert f"Cảnh báo: Cấu trúc đề {code} v2: độ nhất quán {vn_number(consistency, 3)} dưới mức tối thiểu 0,9" \
            in result.output
        # ... followed by what 0.90 would take at this pass rate: agreeing with the figures of its row.
        lines = result.output.splitlines()
        hint = lines[next(i for i, line in enumerate(lines) if line.startswith(f"Cảnh báo: Cấu trúc đề {code}")) + 1]
        shown = re.search(r"cần độ tin cậy khoảng (0,\d{1,3}) \(hiện (0,\d{1,3})\): khoảng (\d+) câu", hint)
        needed, now, items = float(shown[1].replace(",", ".")), float(shown[2].replace(",", ".")), int(shown[3])
        assert now == reliability and reliability < needed < 1
        assert needed == pytest.approx(decision.reliability_for_consistency(0.90, pass_rate), abs=0.003)
        assert items == pytest.approx(50 * decision.spearman_brown_length(reliability, needed), rel=0.02)
    assert "Lỗi" not in result.output

    one = run(app, "blueprints", "check", "BP-LDQL", "--forms", "5")
    assert one.exit_code == 0 and set(_table(one.output)) == {"BP-LDQL"}
    unknown = run(app, "blueprints", "check", "BP-LDQL", "BP-KHONG-CO")
    assert unknown.exit_code != 0 and "BP-KHONG-CO" in unknown.output
    assert run(app, "blueprints", "check", "--forms", "1").exit_code != 0


def test_blueprints_check_fails_a_blueprint_of_useless_measured_items(app, bank):
    _fake_calibration("cong_chuc", 0.05, 0.0)
    result = run(app, "blueprints", "check", "--forms", "20")
    assert result.exit_code != 0
    rows = _table(result.output)
    measured, total = rows["BP-CCVC"][-1].split("/")
    assert float(rows["BP-CCVC"][8]) < 0.8 and measured == total
    assert "Lỗi: Cấu trúc đề BP-CCVC v2" in result.output
    assert "Cấu trúc đề dưới mức nhất quán tối thiểu: BP-CCVC." in result.output
    assert "Lỗi: Cấu trúc đề BP-LDQL" not in result.output  # another audience: still on priors

    # The same items measured on too small a share of the pool only warn.
    db.session.execute(ItemCalibration.__table__.delete())
    db.session.commit()
    _fake_calibration("cong_chuc", 0.05, 0.0, share=0.5)
    partly = run(app, "blueprints", "check", "BP-CCVC", "--forms", "20")
    assert partly.exit_code == 0, partly.output
    assert "Cảnh báo: Cấu trúc đề BP-CCVC v2" in partly.output


def test_sharp_measured_items_pass_the_check(app, bank):
    _fake_calibration("cong_chuc", 3.0, -0.3)
    result = run(app, "blueprints", "check", "BP-CCVC", "--forms", "20")
    assert result.exit_code == 0, result.output
    assert float(_table(result.output)["BP-CCVC"][8]) >= 0.9
    assert "Cảnh báo" not in result.output and "Lỗi" not in result.output


@pytest.fixture
def content(tmp_path, monkeypatch):
    """A copy of the shipped content that `bank load` reads instead; returns (directory, edit) where
    edit(change) rewrites BP-CCVC as version 3 after change(entry)."""
    directory = tmp_path / "content"
    shutil.copytree(criteria.CONTENT_DIR, directory)
    monkeypatch.setattr(criteria, "CONTENT_DIR", directory)

    def edit(change):
        path = directory / "blueprints.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entry = next(bp for bp in data["blueprints"] if bp["code"] == "BP-CCVC")
        entry["version"] = 3
        change(entry)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    return edit


def _counts():
    return (db.session.scalar(select(func.count()).select_from(Blueprint)),
            db.session.scalar(select(Blueprint.version).where(Blueprint.code == "BP-CCVC", Blueprint.current)),
            db.session.scalar(select(func.count()).select_from(ItemVersion)))


@pytest.mark.parametrize(("change", "message"), [
    (lambda bp: bp["cells"].append({"area": "XX", "level": "co_ban", "count": 3}), "lĩnh vực “XX”"),
    (lambda bp: bp.update(pass_percent=120), "Ngưỡng đạt phải nằm trong khoảng 0–100"),
    (lambda bp: bp.update(area_min_items=60), "không lĩnh vực nào có từ 60 câu"),
    (lambda bp: bp.update(area_min_items="bảy"), "area_min_items"),
    (lambda bp: bp["bands"].pop(), "Mức xếp loại thấp nhất (chưa đạt) phải có ngưỡng 0"),
])
def test_bank_load_refuses_an_inconsistent_blueprint_and_loads_nothing(app, bank, content, change, message):
    content(change)
    before = _counts()
    result = run(app, "bank", "load")
    assert result.exit_code != 0
    assert "Cấu trúc đề BP-CCVC" in result.output and message in result.output, result.output
    assert _counts() == before


def test_bank_load_gate_refuses_a_new_blueprint_below_the_minimum_on_measured_items(app, bank, content):
    content(lambda bp: bp.update(pass_percent=62, bands=[dict(band, min_percent=62) if band["code"] == "dat"
                                                         else band for band in bp["bands"]]))
    _fake_calibration("cong_chuc", 0.05, 0.0)
    before = _counts()
    result = run(app, "bank", "load")
    assert result.exit_code != 0
    assert "Lỗi: Cấu trúc đề BP-CCVC v3: độ nhất quán" in result.output and "không nạp gì" in result.output
    assert _counts() == before

    db.session.execute(ItemCalibration.__table__.delete())  # back on priors: a warning, and it loads
    db.session.commit()
    loaded = run(app, "bank", "load")
    assert loaded.exit_code == 0, loaded.output
    assert "cấu trúc đề mới: 1" in loaded.output and "Cảnh báo: Cấu trúc đề BP-CCVC v3" in loaded.output
    assert _counts()[:2] == (before[0] + 1, 3)


def test_an_attempt_start_balances_the_probability_at_the_cut(app, bank, make_user, make_session, monkeypatch):
    drawn = {}
    real_draw = exams.draw_form

    def spy(cells, pools, **kwargs):
        form = real_draw(cells, pools, **kwargs)
        drawn.setdefault("pools", []).append(pools)
        drawn.setdefault("forms", []).append(form)
        return form

    monkeypatch.setattr(exams, "draw_form", spy)
    candidate = make_user("candidate")
    session = make_session([candidate], max_attempts=40)
    blueprint = session.blueprint
    _, expected = decision.difficulties_at_cut(calibration.rule_of(blueprint),
                                               calibration.blueprint_pools(blueprint).pools)
    for number in range(1, 31):
        exams._new_attempt(session, candidate, number, clock.now())

    entries = {entry.item_id: entry for cell in drawn["pools"][0].values() for group in cell.values()
               for entry in group}
    in_cells = {(c["area"], c["level"]) for c in blueprint.spec["cells"]}
    for cell, groups in drawn["pools"][0].items():
        for entry in (e for group in groups.values() for e in group):
            if cell in in_cells:
                assert entry.difficulty == pytest.approx(expected[entry.item_id])
    # A form is as hard for the borderline candidate as the blueprint's pools, cell by cell, on average.
    pool_mean = {cell: np.mean([e.difficulty for g in groups.values() for e in g])
                 for cell, groups in drawn["pools"][0].items() if cell in in_cells}
    cells = {(c["area"], c["level"]): c["count"] for c in blueprint.spec["cells"]}
    target = sum(cells[cell] * pool_mean[cell] for cell in cells) / sum(cells.values())
    gaps = [abs(np.mean([entries[d.item_id].difficulty for d in form]) - target) for form in drawn["forms"]]
    assert max(gaps) < 0.02, gaps


def test_the_difficulties_follow_a_calibration(app, bank):
    blueprint = _blueprint()
    fingerprint = ("the same pool",)
    before = calibration.difficulties_at_cut(blueprint, fingerprint)
    assert calibration.difficulties_at_cut(blueprint, fingerprint) is before  # cached
    assert 0.2 < np.mean(list(before.values())) < 0.9
    _fake_calibration("cong_chuc", 1.0, 0.0)  # every item alike but for its guessing floor
    after = calibration.difficulties_at_cut(blueprint, fingerprint)
    assert after is not before and set(after) == set(before)
    floors = {item.item_id: item.c for pool in calibration.blueprint_pools(blueprint).pools.values() for item in pool}
    by_floor = {}
    for item_id, p in after.items():
        by_floor.setdefault(floors[item_id], set()).add(round(p, 12))
    assert len(by_floor) > 1 and all(len(values) == 1 for values in by_floor.values())
    assert len(set(before.values())) > len(by_floor)
