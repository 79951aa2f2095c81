"""Sitting an exam through the API: sessions, drawing, timing, saving, submitting, scoring, proctoring."""

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service import clock
from service.extensions import db
from service.models import Attempt, AttemptItem, AuditEntry, Blueprint, Certificate, ItemVersion
from service.models.types import utcnow

KEY_FIELDS = {"key", "explanation", "credit", "correct", "is_correct"}


def start(client, headers, session_id):
    response = client.post(f"/api/v1/exam-sessions/{session_id}/attempts", headers=headers)
    assert response.status_code in (200, 201), response.get_json()
    return response


def stored_item(attempt_id, position) -> ItemVersion:
    return db.session.scalar(select(ItemVersion).join(AttemptItem).where(
        AttemptItem.attempt_id == attempt_id, AttemptItem.position == position))


def right_answer(version: ItemVersion):
    return version.key


def wrong_answer(version: ItemVersion):
    ids = [o["id"] for o in version.options]
    if version.type == "single_choice":
        return next(i for i in ids if i != version.key)
    if version.type == "multiple_response":
        return [next(i for i in ids if i not in version.key)]
    if version.type == "true_false":
        return not version.key
    return list(reversed(version.key))


def assert_no_key_material(body):
    """Walk a candidate-facing JSON body: no key, correctness or explanation anywhere."""
    if isinstance(body, dict):
        assert not (KEY_FIELDS & set(body)), sorted(KEY_FIELDS & set(body))
        for value in body.values():
            assert_no_key_material(value)
    elif isinstance(body, list):
        for value in body:
            assert_no_key_material(value)


@pytest.fixture
def candidate(make_user):
    return make_user("candidate", full_name="Nguyễn Thị Hồng Nhung")


def test_form_follows_the_blueprint_and_hides_keys(client, bank, make_user, make_session, auth_headers):
    people = [make_user("candidate") for _ in range(4)]
    session = make_session(people)
    blueprint = db.session.get(Blueprint, session.blueprint_id)
    expected = Counter({(c["area"], c["level"]): c["count"] for c in blueprint.spec["cells"]})
    forms = []
    for person in people:
        body = start(client, auth_headers(person), session.id).get_json()
        assert_no_key_material(body)
        assert len(body["items"]) == blueprint.item_count
        assert len({i["item_id"] for i in body["items"]}) == blueprint.item_count, "an item drawn twice"
        drawn = Counter()
        for entry in body["items"]:
            version = stored_item(body["id"], entry["position"])
            assert version.status == "active"
            assert "cong_chuc" in version.audience_codes
            drawn[(version.competence.area_code, version.level_code)] += 1
            assert entry["answer"] is None
            assert entry["type"] in ("single_choice", "multiple_response", "true_false", "ordering")
        assert drawn == expected
        forms.append([i["item_id"] for i in body["items"]])
    assert len({tuple(sorted(f)) for f in forms}) > 1, "every candidate got the same form"


def test_second_start_resumes_the_same_attempt_with_saved_answers(client, bank, candidate, make_session,
                                                                  auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    first = start(client, headers, session.id)
    assert first.status_code == 201
    attempt = first.get_json()
    version = stored_item(attempt["id"], 1)
    saved = client.put(f"/api/v1/attempts/{attempt['id']}/responses/1", json={"answer": right_answer(version)},
                       headers=headers)
    assert saved.status_code == 200
    again = start(client, headers, session.id)
    assert again.status_code == 200
    body = again.get_json()
    assert body["id"] == attempt["id"]
    assert body["deadline"] == attempt["deadline"]
    assert [i["options"] for i in body["items"]] == [i["options"] for i in attempt["items"]]
    assert body["items"][0]["answer"] == right_answer(version)


def test_deadline_is_fixed_by_the_server_and_never_past_the_close(client, bank, candidate, make_session,
                                                                    auth_headers):
    now = clock.now()
    session = make_session([candidate], closes_at=now + timedelta(minutes=10))
    body = start(client, auth_headers(candidate), session.id).get_json()
    assert body["deadline"] == (now + timedelta(minutes=10)).isoformat() + "Z"
    assert body["server_time"].endswith("Z")


def test_save_after_deadline_is_refused_and_changes_nothing(client, bank, candidate, make_session,
                                                             auth_headers, clock_at):
    start_time = clock_at(utcnow())
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    version = stored_item(attempt["id"], 2)
    duration = session.blueprint.duration_minutes
    clock_at(start_time + timedelta(minutes=duration, seconds=5))  # past the deadline, inside the grace
    assert client.put(f"/api/v1/attempts/{attempt['id']}/responses/2", json={"answer": right_answer(version)},
                      headers=headers).status_code == 200
    clock_at(start_time + timedelta(minutes=duration + 1))
    late = client.put(f"/api/v1/attempts/{attempt['id']}/responses/3", json={"answer": wrong_answer(
        stored_item(attempt["id"], 3))}, headers=headers)
    assert late.status_code == 409
    assert late.get_json()["code"] == "attempt_closed"
    row = db.session.get(AttemptItem, (attempt["id"], 3))
    db.session.refresh(row)
    assert row.answer is None
    closed = db.session.get(Attempt, attempt["id"])
    db.session.refresh(closed)
    assert closed.status == "submitted" and closed.closed_by == "timeout"
    assert closed.result is not None  # scored from what was saved


def test_bad_saves_get_clear_errors(client, bank, candidate, make_user, make_session, auth_headers):
    other = make_user("candidate")
    session = make_session([candidate, other])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    by_type = {}
    for entry in attempt["items"]:
        by_type.setdefault(entry["type"], entry["position"])
    url = f"/api/v1/attempts/{attempt['id']}/responses"
    bad_answers = {
        "single_choice": [True, ["x"], "khong-co-phuong-an", 3],
        "multiple_response": ["abc", ["khong-co"], {"a": 1}],
        "true_false": ["true", 1, ["true"]],
        "ordering": [["x"], "abc"],
    }
    for kind, position in by_type.items():
        for answer in bad_answers[kind]:
            response = client.put(f"{url}/{position}", json={"answer": answer}, headers=headers)
            assert response.status_code == 422, (kind, answer, response.get_json())
            assert response.get_json()["code"] == "invalid_answer"
    assert client.put(f"{url}/999", json={"answer": None}, headers=headers).status_code == 404
    assert client.put(f"{url}/1", json={"value": 1}, headers=headers).status_code == 422
    # Another candidate cannot see or write this attempt: it does not exist for them.
    intruder = auth_headers(other)
    assert client.put(f"{url}/1", json={"answer": None}, headers=intruder).status_code == 404
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=intruder).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AttemptItem).where(
        AttemptItem.attempt_id == attempt["id"], AttemptItem.answer.is_not(None))) == 0


def answer_all(client, headers, attempt, choose):
    for entry in attempt["items"]:
        version = stored_item(attempt["id"], entry["position"])
        response = client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}",
                              json={"answer": choose(version)}, headers=headers)
        assert response.status_code == 200, response.get_json()


def test_full_marks_pass_and_repeat_submits_give_the_same_body(client, bank, candidate, make_session,
                                                               auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    answer_all(client, headers, attempt, right_answer)
    first = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert first.status_code == 200
    body = first.get_json()
    assert body["status"] == "submitted"
    result = body["result"]
    assert result["percent"] == 100 and result["score_10"] == 10 and result["passed"] is True
    assert result["classification"] == "gioi"
    assert {a["code"] for a in result["areas"]} == {"GT", "AT", "ND", "DL", "CN", "CL"}
    for _ in range(3):
        assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json() == body
    late = client.put(f"/api/v1/attempts/{attempt['id']}/responses/1", json={"answer": None}, headers=headers)
    assert late.status_code == 409


def test_failing_one_area_fails_the_exam_despite_a_high_total(client, bank, candidate, make_session,
                                                               auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    answer_all(client, headers, attempt,
               lambda v: wrong_answer(v) if v.competence.area_code == "CL" else right_answer(v))
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()["result"]
    cl_items = sum(cell["count"] for cell in session.blueprint.spec["cells"] if cell["area"] == "CL")
    assert cl_items >= session.blueprint.spec["area_min_items"]  # the area is large enough for its floor
    assert result["percent"] == 100 * (50 - cl_items) / 50 >= 80
    assert result["passed"] is False
    assert result["classification"] == "chua_dat"
    areas = {a["code"]: a for a in result["areas"]}
    assert areas["CL"]["percent"] == 0 and areas["CL"]["passed"] is False
    assert areas["GT"]["passed"] is True


def test_concurrent_submits_give_one_result(app, client, bank, candidate, make_session, auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    answer_all(client, headers, attempt, right_answer)
    bodies, barrier = [], threading.Barrier(20)

    def submit():
        with app.test_client() as own:
            barrier.wait()
            response = own.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
            bodies.append((response.status_code, json.dumps(response.get_json(), sort_keys=True)))

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(bodies) == 20
    assert {status for status, _ in bodies} == {200}
    assert len({body for _, body in bodies}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.attempt_id == attempt["id"])) <= 1
    closings = db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.id == attempt["id"], Attempt.status == "submitted"))
    assert closings == 1


def test_saves_racing_a_submit_are_either_scored_or_refused(app, client, bank, candidate, make_session,
                                                             auth_headers):
    """Every save the server acknowledges is in the score; every other one was refused (409)."""
    from service.exams import score_attempt

    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    answer_all(client, headers, attempt, wrong_answer)
    rights = {e["position"]: right_answer(stored_item(attempt["id"], e["position"])) for e in attempt["items"]}
    outcomes, barrier = {}, threading.Barrier(len(rights) + 1)

    def save(position):
        with app.test_client() as own:
            barrier.wait()
            response = own.put(f"/api/v1/attempts/{attempt['id']}/responses/{position}",
                               json={"answer": rights[position]}, headers=headers)
            outcomes[position] = response.status_code

    def submit():
        with app.test_client() as own:
            barrier.wait()
            outcomes["submit"] = own.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).status_code

    threads = [threading.Thread(target=save, args=(p,)) for p in rights] + [threading.Thread(target=submit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.pop("submit") == 200
    assert set(outcomes.values()) <= {200, 409}, outcomes
    db.session.expire_all()
    stored = {row.position: row.answer for row in db.session.execute(
        select(AttemptItem.position, AttemptItem.answer).where(AttemptItem.attempt_id == attempt["id"]))}
    for position, status in outcomes.items():
        if status == 200:
            assert stored[position] == rights[position]
        else:
            assert stored[position] != rights[position]
    closed = db.session.get(Attempt, attempt["id"])
    assert closed.result == score_attempt(closed)  # the stored result is the score of what was acknowledged


def test_a_save_checks_the_account_behind_the_token(client, bank, candidate, make_user, make_session,
                                                    auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    entry = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}"
    answer = right_answer(stored_item(attempt["id"], entry["position"]))
    proctor = client.put(url, json={"answer": answer}, headers=auth_headers(make_user("proctor")))
    assert proctor.status_code == 403
    candidate.token_version += 1  # what a password change does: earlier tokens stop working
    db.session.commit()
    assert client.put(url, json={"answer": answer}, headers=headers).status_code == 401
    fresh = auth_headers(candidate)
    candidate.active = False
    db.session.commit()
    assert client.put(url, json={"answer": answer}, headers=fresh).status_code == 401
    db.session.expire_all()
    assert db.session.get(AttemptItem, (attempt["id"], entry["position"])).answer is None


def test_concurrent_starts_make_one_attempt(app, client, bank, candidate, make_session, auth_headers):
    url = f"/api/v1/exam-sessions/{make_session([candidate]).id}/attempts"
    headers = auth_headers(candidate)
    ids, barrier = [], threading.Barrier(8)

    def go():
        with app.test_client() as own:
            barrier.wait()
            response = own.post(url, headers=headers)
            ids.append(response.get_json().get("id") if response.status_code in (200, 201) else response.get_json())

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(i, int) for i in ids), ids  # every start answered with an attempt
    assert len(set(ids)) == 1
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_attempt_limit_and_retake_gap(client, bank, candidate, make_session, auth_headers, clock_at):
    now = clock_at(utcnow())
    session = make_session([candidate], max_attempts=2, retake_gap_minutes=60)
    headers = auth_headers(candidate)
    first = start(client, headers, session.id).get_json()
    client.post(f"/api/v1/attempts/{first['id']}/submit", headers=headers)
    too_soon = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=headers)
    assert too_soon.status_code == 409 and too_soon.get_json()["code"] == "retake_too_soon"
    clock_at(now + timedelta(minutes=61))
    second = start(client, headers, session.id)
    assert second.status_code == 201 and second.get_json()["id"] != first["id"]
    client.post(f"/api/v1/attempts/{second.get_json()['id']}/submit", headers=headers)
    clock_at(now + timedelta(hours=3))
    third = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=headers)
    assert third.status_code == 409 and third.get_json()["code"] == "no_attempts_left"


def test_second_attempt_prefers_unseen_items(client, bank, candidate, make_session, auth_headers, clock_at):
    now = clock_at(utcnow())
    session = make_session([candidate], max_attempts=2)
    headers = auth_headers(candidate)
    first = start(client, headers, session.id).get_json()
    client.post(f"/api/v1/attempts/{first['id']}/submit", headers=headers)
    clock_at(now + timedelta(minutes=1))
    second = start(client, headers, session.id).get_json()
    assert not {i["item_id"] for i in first["items"]} & {i["item_id"] for i in second["items"]}


def test_not_enrolled_and_closed_windows_are_refused(client, bank, candidate, make_user, make_session,
                                                      auth_headers, clock_at):
    now = clock_at(utcnow())
    session = make_session([candidate])
    stranger = make_user("candidate")
    refused = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=auth_headers(stranger))
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_enrolled"
    clock_at(now + timedelta(days=2))
    closed = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=auth_headers(candidate))
    assert closed.status_code == 409 and closed.get_json()["code"] == "session_closed"


def test_candidate_lists_only_sessions_open_to_them(client, bank, candidate, make_user, make_session,
                                                     auth_headers):
    mine = make_session([candidate], title="Của tôi")
    make_session([make_user("candidate")], title="Của người khác")
    body = client.get("/api/v1/exam-sessions", headers=auth_headers(candidate)).get_json()
    assert [s["id"] for s in body["items"]] == [mine.id]
    assert body["total"] == 1


def test_session_creation_validates_input(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("proctor"))
    base = {"title": "Kỳ 1", "blueprint": "BP-CCVC", "opens_at": "2026-12-01T08:00:00+07:00",
            "closes_at": "2026-12-01T11:00:00+07:00", "candidates": [], "max_attempts": 1}
    ok = client.post("/api/v1/exam-sessions", json=base, headers=headers)
    assert ok.status_code == 201
    assert ok.get_json()["opens_at"] == "2026-12-01T01:00:00Z"
    cases = [
        ({"blueprint": "KHONG-CO"}, "blueprint"),
        ({"closes_at": "2026-12-01T07:00:00+07:00"}, "closes_at"),
        ({"candidates": ["khong-ton-tai"]}, "candidates"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"opens_at": "ngày mai"}, "opens_at"),
        ({"surprise": 1}, "surprise"),
    ]
    for change, field in cases:
        response = client.post("/api/v1/exam-sessions", json={**base, **change}, headers=headers)
        assert response.status_code == 422, change
        assert field in response.get_json()["errors"], response.get_json()


def test_bank_shortage_names_the_missing_cells(client, bank, make_user, auth_headers):
    from service.models import Competence

    retired = db.session.scalars(select(ItemVersion).join(Competence).where(
        Competence.area_code == "ND", ItemVersion.level_code == "co_ban")).all()
    for version in retired:
        version.status = "retired"
    db.session.commit()
    response = client.post("/api/v1/exam-sessions", headers=auth_headers(make_user("proctor")), json={
        "title": "Kỳ 2", "blueprint": "BP-CCVC", "opens_at": "2026-12-01T08:00:00Z",
        "closes_at": "2026-12-01T11:00:00Z"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "bank_shortage"
    assert "ND" in body["message"] and "co_ban" in body["message"]


def test_proctor_adds_time_voids_and_sees_progress(client, bank, candidate, make_user, make_session,
                                                   auth_headers):
    session = make_session([candidate])
    proctor = auth_headers(make_user("proctor"))
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    answer_all(client, headers, {"id": attempt["id"], "items": attempt["items"][:3]}, right_answer)
    progress = client.get(f"/api/v1/exam-sessions/{session.id}/progress", headers=proctor).get_json()
    assert progress["items"][0]["answered"] == 3 and progress["items"][0]["item_count"] == 50
    extra = client.post(f"/api/v1/attempts/{attempt['id']}/extra-time", json={"minutes": 15,
                        "reason": "Mất điện tại điểm thi"}, headers=proctor)
    assert extra.status_code == 200
    assert extra.get_json()["deadline"] > attempt["deadline"]
    assert client.post(f"/api/v1/attempts/{attempt['id']}/void", json={}, headers=proctor).status_code == 422
    voided = client.post(f"/api/v1/attempts/{attempt['id']}/void", json={"reason": "Sử dụng tài liệu"},
                         headers=proctor)
    assert voided.get_json()["status"] == "voided"
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).status_code == 409
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"attempt.extra_time", "attempt.void", "session.create"} <= actions


def test_close_expired_command_scores_abandoned_attempts(app, client, bank, candidate, make_session,
                                                          auth_headers, clock_at):
    now = clock_at(utcnow())
    session = make_session([candidate])
    attempt = start(client, auth_headers(candidate), session.id).get_json()
    clock_at(now + timedelta(minutes=session.blueprint.duration_minutes + 1))
    result = app.test_cli_runner().invoke(args=["attempts", "close-expired"])
    assert "1" in result.output
    closed = db.session.get(Attempt, attempt["id"])
    db.session.refresh(closed)
    assert closed.status == "submitted" and closed.closed_by == "timeout"
    assert closed.result["passed"] is False


def test_review_setting_controls_what_the_candidate_sees(client, bank, candidate, make_session, auth_headers):
    session = make_session([candidate], review_mode="score")
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    after = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert_no_key_material(after)
    assert "areas" not in after["result"] and "percent" in after["result"]


def test_full_review_after_close_shows_keys_and_explanations(client, bank, candidate, make_session,
                                                             auth_headers):
    session = make_session([candidate], review_mode="full")
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    during = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert_no_key_material(during)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    after = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert all("key" in i and "explanation" in i for i in after["items"])
    assert after["result"]["missed_competences"]


def test_enrol_by_unit_takes_its_candidates_of_the_right_audience(client, app, bank, make_user, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    inside = make_user("candidate", unit_code="BTR-BATRI")
    leader = make_user("candidate", unit_code="BTR-BATRI", audience_code="lanh_dao")
    elsewhere = make_user("candidate", unit_code="BTR-STC")
    response = client.post("/api/v1/exam-sessions", headers=auth_headers(make_user("proctor")), json={
        "title": "Kỳ của huyện Ba Tri", "blueprint": "BP-CCVC", "opens_at": "2026-01-01T00:00:00Z",
        "closes_at": "2030-01-01T00:00:00Z", "units": ["BTR-BATRI"]})
    assert response.status_code == 201
    from service.models import Enrolment

    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.session_id == response.get_json()["id"])))
    assert inside.id in enrolled and leader.id not in enrolled and elsewhere.id not in enrolled


def test_unit_manager_enrols_only_their_own_unit(client, app, bank, make_user, make_session, auth_headers):
    app.test_cli_runner().invoke(args=["units", "load"])
    session = make_session([])
    manager = auth_headers(make_user("unit_manager", unit_code="BTR-BATRI"))
    url = f"/api/v1/exam-sessions/{session.id}/enrolments"
    mine = make_user("candidate", unit_code="BTR-BATRI")
    other = make_user("candidate", unit_code="BTR-STC")
    assert client.post(url, json={"candidates": [other.username]}, headers=manager).status_code == 403
    assert client.post(url, json={"units": ["BTR-STC"]}, headers=manager).status_code == 403
    added = client.post(url, json={"candidates": [mine.username]}, headers=manager)
    assert added.status_code == 200 and added.get_json() == {"added": 1}


def test_a_drawn_version_never_changes(client, bank, candidate, make_user, make_session, auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    first = attempt["items"][0]
    version = stored_item(attempt["id"], 1)
    assert version.used
    author, reviewer = auth_headers(make_user("author")), auth_headers(make_user("reviewer"))
    from service.transfer import interchange_of

    changed = interchange_of(version)
    changed.pop("code")
    changed["stem"] = "Câu hỏi đã được biên tập lại?"
    url = f"/api/v1/items/{first['item_id']}"
    assert client.put(url, json=changed, headers=author).status_code == 200
    client.post(f"{url}/transitions", json={"action": "submit"}, headers=author)
    assert client.post(f"{url}/transitions", json={"action": "approve"}, headers=reviewer).status_code == 200
    again = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert again["items"][0]["stem"] == first["stem"] != "Câu hỏi đã được biên tập lại?"
    db.session.refresh(version)
    assert version.stem == first["stem"] and version.status == "retired"


def test_voiding_a_passed_attempt_revokes_its_certificate(client, bank, candidate, make_user, make_session,
                                                          auth_headers):
    session = make_session([candidate])
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    answer_all(client, headers, attempt, right_answer)
    certificate = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()["certificate"]
    proctor = auth_headers(make_user("proctor"))
    client.post(f"/api/v1/attempts/{attempt['id']}/void", json={"reason": "Thi hộ"}, headers=proctor)
    token = certificate["verify_url"].rsplit("/v/", 1)[1]
    answer = client.get(f"/api/v1/verify/{token}").get_json()
    assert answer["status"] == "revoked" and "Thi hộ" in answer["revoked"]["reason"]


def test_sessions_without_attempts_left_are_not_listed(client, bank, candidate, make_session, auth_headers):
    session = make_session([candidate], max_attempts=1)
    headers = auth_headers(candidate)
    attempt = start(client, headers, session.id).get_json()
    assert [s["id"] for s in client.get("/api/v1/exam-sessions", headers=headers).get_json()["items"]] == [session.id]
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert client.get("/api/v1/exam-sessions", headers=headers).get_json()["items"] == []


def test_no_candidate_response_carries_key_material_before_close(client, bank, candidate, make_session,
                                                                 auth_headers):
    session = make_session([candidate], review_mode="full")
    headers = auth_headers(candidate)
    bodies = [client.get("/api/v1/exam-sessions", headers=headers).get_json(),
              client.get(f"/api/v1/exam-sessions/{session.id}", headers=headers).get_json()]
    attempt = start(client, headers, session.id).get_json()
    bodies.append(attempt)
    for entry in attempt["items"]:
        version = stored_item(attempt["id"], entry["position"])
        bodies.append(client.put(f"/api/v1/attempts/{attempt['id']}/responses/{entry['position']}",
                                 json={"answer": wrong_answer(version)}, headers=headers).get_json())
    bodies.append(start(client, headers, session.id).get_json())
    bodies.append(client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json())
    for body in bodies:
        assert_no_key_material(body)
        text = json.dumps(body, ensure_ascii=False)
        for entry in attempt["items"]:
            explanation = stored_item(attempt["id"], entry["position"]).explanation
            assert explanation not in text


def test_each_draw_counts_in_the_items_exposure(client, bank, make_user, make_session, auth_headers):
    from service.models import Item

    people = [make_user("candidate") for _ in range(2)]
    session = make_session(people)
    drawn = Counter()
    for person in people:
        for entry in start(client, auth_headers(person), session.id).get_json()["items"]:
            drawn[entry["item_id"]] += 1
    db.session.expire_all()
    exposure = dict(db.session.execute(select(Item.id, Item.exposure).where(Item.exposure > 0)).all())
    assert exposure == dict(drawn)
    version = stored_item(db.session.scalar(select(Attempt.id)), 1)
    assert version.used is True


def test_a_start_answers_with_the_attempt_as_stored(client, bank, candidate, make_session, auth_headers):
    """The start's body is made from the rows in hand, before its commit: it is the body a reader of the stored
    attempt gets, and the options' order is the one the attempt's seed gives (so a form can be redrawn)."""
    import random

    from question_bank.item_types import get_item_type

    headers = auth_headers(candidate)
    started = start(client, headers, make_session([candidate]).id)
    assert started.status_code == 201
    body = started.get_json()
    stored = client.get(f"/api/v1/attempts/{body['id']}", headers=headers).get_json()
    assert {**body, "server_time": None} == {**stored, "server_time": None}
    assert body["status"] == "in_progress" and all(i["answer"] is None for i in body["items"])
    attempt = db.session.get(Attempt, body["id"])
    rng = random.Random(attempt.seed)
    rows = db.session.execute(select(AttemptItem, ItemVersion).join(ItemVersion).where(
        AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()
    assert [r.AttemptItem.position for r in rows] == list(range(1, len(body["items"]) + 1))
    for (drawn, version), entry in zip(rows, body["items"], strict=True):
        shown = get_item_type(version.type).candidate_options(version.options, rng)
        assert drawn.option_order == [o["id"] for o in shown]
        assert entry["item_id"] == version.item_id and entry["stem"] == version.stem
        assert entry["options"] == get_item_type(version.type).shown_options(version.options, drawn.option_order)


@pytest.mark.parametrize("rebuilt", ["content_sha256", "created_at"])
def test_item_content_is_never_served_from_another_database(client, bank, candidate, make_session, auth_headers,
                                                            rebuilt):
    """The content of versions is kept per process, keyed on the content's hash and the version's creation: a
    database rebuilt under the same ids, with other content or the same content under other option ids (made
    at another moment), is read afresh, never served from what was kept."""
    headers = auth_headers(candidate)
    body = start(client, headers, make_session([candidate]).id).get_json()
    version = stored_item(body["id"], 1)
    assert client.get(f"/api/v1/attempts/{body['id']}", headers=headers).get_json()["items"][0]["stem"] == \
        version.stem
    other = {"content_sha256": "f" * 64, "created_at": version.created_at + timedelta(microseconds=1)}[rebuilt]
    db.session.execute(ItemVersion.__table__.update().where(ItemVersion.id == version.id).values(
        {"stem": "Nội dung khác của cơ sở dữ liệu khác?", rebuilt: other}))
    db.session.commit()
    again = client.get(f"/api/v1/attempts/{body['id']}", headers=headers).get_json()
    assert again["items"][0]["stem"] == "Nội dung khác của cơ sở dữ liệu khác?"


def test_scoring_stores_each_credit_also_on_the_items_in_hand(client, bank, candidate, make_session, auth_headers):
    """Credits are written by one UPDATE; an item already loaded in the session shows its stored credit."""
    from service import exams

    body = start(client, auth_headers(candidate), make_session([candidate]).id).get_json()
    attempt = db.session.get(Attempt, body["id"])
    loaded = db.session.execute(select(AttemptItem, ItemVersion.key).join(ItemVersion).where(
        AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()
    wrong = loaded[0].AttemptItem
    for drawn, key in loaded[1:]:
        drawn.answer = key
    exams.submit(attempt, clock.now())
    assert [drawn.credit for drawn, _ in loaded] == [0.0] + [1.0] * (len(loaded) - 1)
    assert wrong.answer is None and attempt.result["percent"] < 100
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(select(AttemptItem.position, AttemptItem.credit).where(
        AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()
    assert [credit for _, credit in stored] == [0.0] + [1.0] * (len(stored) - 1)
