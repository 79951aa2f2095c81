"""One unit of work per request: commit on success, roll back on error, keep the work of a refusal that is a
record, and commits written by hand only where a route says it needs more than one transaction."""

import ast
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import func, select, text

from service import audit
from service.errors import ApiError
from service.extensions import csrf, db
from service.models import AuditEntry

SERVICE = Path(__file__).resolve().parents[2] / "service"


def committed_entries() -> int:
    """Audit entries another connection sees: what was committed."""
    with db.engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM audit_log"))


@pytest.fixture
def probe(app):
    """A route that writes an audit entry and then answers as told."""

    @app.post("/api/v1/thu/<outcome>")
    def probe_view(outcome):
        audit.record(None, "test.probe", "probe", outcome)
        db.session.flush()
        if outcome == "refused":
            raise ApiError(409, "conflict", "Xung đột.")
        if outcome == "kept":
            raise ApiError(409, "conflict", "Xung đột, nhưng điều đã làm được giữ.", keep=True)
        if outcome == "aborted":
            abort(404)
        if outcome == "broken":
            raise RuntimeError("a bug")
        return {"ok": True}

    csrf.exempt(probe_view)
    return app.test_client()


@pytest.mark.parametrize(("outcome", "status", "kept"), [
    ("done", 200, 1), ("refused", 409, 0), ("kept", 409, 1), ("aborted", 404, 0), ("broken", 500, 0)])
def test_a_request_commits_once_on_success_and_rolls_back_on_error(probe, outcome, status, kept):
    assert probe.post(f"/api/v1/thu/{outcome}").status_code == status
    assert committed_entries() == kept


def test_a_failed_login_is_counted_although_it_is_refused(client, make_user):
    user = make_user("admin", username="quantri")
    assert client.post("/api/v1/auth/token", json={"username": "quantri", "password": "sai"}).status_code == 401
    db.session.expire_all()
    assert user.failed_logins == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def hand_written_commits() -> dict[str, list[str]]:
    """The functions of service/ that call `….session.commit()` themselves, by module."""
    found: dict[str, list[str]] = {}

    def visit(node, module, function=None):
        if isinstance(node, ast.FunctionDef):
            function = node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit" \
                and ast.unparse(node.func.value).endswith("session"):
            decorators = {ast.unparse(d) for d in function.decorator_list}
            found.setdefault(module, []).append(function.name + (" @own_commits" if "own_commits" in decorators
                                                                 else ""))
        for child in ast.iter_child_nodes(node):
            visit(child, module, function)

    for path in sorted(SERVICE.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), str(path.relative_to(SERVICE)))
    return found


def test_commits_are_written_by_hand_only_where_a_route_needs_more_than_one_transaction():
    found = hand_written_commits()
    assert found.pop("unit_of_work.py") == ["wrapper", "end"]  # a command's, a request's
    assert found.pop("cli.py") == ["certificates_render"]  # a batch that keeps each signed PDF as it goes
    for module, functions in found.items():
        assert all(name.endswith("@own_commits") for name in functions), (module, functions)
    assert sum(len(functions) for functions in found.values()) <= 7  # the starts (2 × 2) and the bulk renders
