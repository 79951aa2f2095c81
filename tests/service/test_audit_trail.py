"""What the audit log records beyond the item workflow: bulk certificate issue and download, password
changes, and commands run on the server, with the account that ran them."""

import getpass

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry


def entries(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_bulk_issue_and_zip_download_are_audited(client, bank, make_user, make_session, sit_exam, auth_headers):
    people = [make_user("candidate") for _ in range(2)]
    session = make_session(people)
    for person in people:
        sit_exam(person, session.id)
    proctor = make_user("proctor")
    issued = client.post(f"/api/v1/exam-sessions/{session.id}/certificates", headers=auth_headers(proctor))
    assert issued.status_code == 200
    [bulk] = entries("certificates.bulk_issue")
    assert bulk.actor_id == proctor.id and bulk.target_id == str(session.id) and bulk.details["rendered"] == 2
    zipped = client.get(f"/api/v1/exam-sessions/{session.id}/certificates.zip", headers=auth_headers(proctor))
    assert zipped.status_code == 200
    [download] = entries("certificates.download_zip")
    assert download.actor_id == proctor.id and len(download.details["serials"]) == 2


def test_a_password_change_is_audited_and_a_refused_one_is_not(client, make_user, auth_headers):
    user = make_user("candidate")
    refused = client.post("/api/v1/auth/password", headers=auth_headers(user),
                          json={"current_password": "sai", "new_password": "mat-khau-moi-dai"})
    assert refused.status_code == 422 and entries("user.password_change") == []
    changed = client.post("/api/v1/auth/password", headers=auth_headers(user),
                          json={"current_password": "mat-khau-dung-123", "new_password": "mat-khau-moi-dai"})
    assert changed.status_code == 200
    [entry] = entries("user.password_change")
    assert entry.actor_id == user.id and "mat-khau" not in str(entry.details)


def test_commands_record_who_ran_them(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    created = runner.invoke(args=["users", "create", "giamthi2", "--role", "proctor", "--password-stdin"],
                            input="mat-khau-dung-123\n")
    assert created.exit_code == 0, created.output
    for action, command in (("key.rotate", "keys rotate"), ("user.create", "users create")):
        [entry] = entries(action)
        assert entry.actor_id is None
        assert entry.details["via"] == "cli" and entry.details["command"].endswith(command)
        assert entry.details["os_user"] == getpass.getuser() and entry.details["host"]


def test_what_the_service_does_by_itself_says_so(client, bank, make_user, make_session, sit_exam):
    person = make_user("candidate")
    sit_exam(person, make_session([person]).id)
    [issue] = entries("certificate.issue")
    assert issue.details["via"] == "system"
