"""One presentation layer: the pages share schemas and guards with the API but never its resources; the OpenAPI
document describes every body the API sends, success and error alike; validation speaks Vietnamese."""

import ast
from pathlib import Path

import pytest

from question_bank.review import VIEWS
from service.schemas.base import Schema
from service.schemas.exams import AttemptSchema

SERVICE = Path(__file__).resolve().parents[2] / "service"
PAGE_MODULES = ("web.py", "staff_web.py", "author_web.py", "admin_web.py", "pages.py")
FILES = {"application/pdf", "application/zip", "application/octet-stream",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "service." * node.level + (node.module or "")
            found.add(base.rstrip("."))
            found.update(f"{base}.{alias.name}".lstrip(".") for alias in node.names)
    return found


@pytest.mark.parametrize("name", PAGE_MODULES)
def test_no_page_module_imports_the_api_resources(name):
    modules = imported_modules(SERVICE / name)
    assert not {m for m in modules if m.startswith(("service.resources", "service.service.resources"))}, modules


def openapi(client):
    return client.get("/api/v1/openapi.json").get_json()


def resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_operation_documents_its_success_body(client):
    doc = openapi(client)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            assert successes, (method, path)
            for code, response in successes.items():
                content = response.get("content") or {}
                assert content, (method, path, code)
                for media, body in content.items():
                    assert body.get("schema"), (method, path, media)
                    if media in FILES:
                        assert body["schema"] == {"type": "string", "format": "binary"}, (method, path)


def conforms(doc, schema, body, where="body"):
    """Check that `body` is what the documented `schema` describes: every key a documented property, every value
    of the documented type. Returns the problems found."""
    schema = resolve(doc, schema)
    if "oneOf" in schema:
        tries = [conforms(doc, option, body, where) for option in schema["oneOf"]]
        return [] if any(not t for t in tries) else tries[0]
    if body is None:
        return []  # a null is allowed where the schema says nullable, and is what an optional value is
    kind = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    if kind in checks and not isinstance(body, checks[kind]) or (kind in ("integer", "number")
                                                                   and isinstance(body, bool)):
        return [f"{where}: {body!r} is not {kind}"]
    problems = []
    if isinstance(body, dict) and "properties" in schema:
        for key, value in body.items():
            if key not in schema["properties"]:
                problems.append(f"{where}.{key}: not documented")
            else:
                problems += conforms(doc, schema["properties"][key], value, f"{where}.{key}")
    if isinstance(body, list) and "items" in schema:
        for index, value in enumerate(body):
            problems += conforms(doc, schema["items"], value, f"{where}[{index}]")
    return problems


def documented(doc, method, path, status, media="application/json"):
    return doc["paths"][path][method]["responses"][str(status)]["content"][media]["schema"]


def test_bodies_are_what_the_document_says(client, bank, make_user, make_session, auth_headers, sit_exam):
    """The core flow and the staff's reads, each body checked against its operation's documented schema."""
    doc = openapi(client)
    candidate = make_user("candidate")
    session = make_session([candidate], review_mode="full")
    you = auth_headers(candidate)
    admin = auth_headers(make_user("admin"))
    calls = [("get", "/api/v1/health", None, {}), ("get", "/api/v1/framework", None, you),
             ("get", "/api/v1/blueprints", None, you), ("get", "/api/v1/exam-sessions", None, you),
             ("get", "/api/v1/exam-sessions/{session_id}", {"session_id": session.id}, you)]
    checked = []

    def call(method, path, params, headers, json=None):
        response = client.open(path.format(**(params or {})), method=method.upper(), headers=headers, json=json)
        assert response.status_code < 300, (path, response.get_json())
        problems = conforms(doc, documented(doc, method, path, response.status_code), response.get_json())
        assert not problems, (method, path, problems)
        checked.append(path)
        return response.get_json()

    for args in calls:
        call(*args)
    attempt = call("post", "/api/v1/exam-sessions/{session_id}/attempts", {"session_id": session.id}, you)
    item = attempt["items"][0]
    call("put", "/api/v1/attempts/{attempt_id}/responses/{position}",
         {"attempt_id": attempt["id"], "position": item["position"]}, you, {"answer": None})
    call("get", "/api/v1/attempts/{attempt_id}", {"attempt_id": attempt["id"]}, you)
    submitted = call("post", "/api/v1/attempts/{attempt_id}/submit", {"attempt_id": attempt["id"]}, you)
    call("get", "/api/v1/attempts/{attempt_id}", {"attempt_id": attempt["id"]}, you)
    call("get", "/api/v1/attempts/{attempt_id}", {"attempt_id": attempt["id"]}, admin)
    winner = make_user("candidate")
    passed = sit_exam(winner, make_session([winner]).id)
    assert submitted["status"] == "submitted" and passed["certificate"]
    token = passed["certificate"]["verify_url"].rsplit("/v/", 1)[1]
    for path, params in [("/api/v1/certificates/{public_id}", {"public_id": passed["certificate"]["id"]}),
                         ("/api/v1/verify/{token}", {"token": token}), ("/api/v1/verify/keys", None),
                         ("/api/v1/items", None), ("/api/v1/items/{item_id}", {"item_id": item["item_id"]}),
                         ("/api/v1/exam-sessions", None), ("/api/v1/exam-sessions/{session_id}/progress",
                                                           {"session_id": session.id}),
                         ("/api/v1/exam-sessions/{session_id}/certificates", {"session_id": session.id}),
                         ("/api/v1/units", None), ("/api/v1/users", None), ("/api/v1/audit", None),
                         ("/api/v1/reports/progress", None), ("/api/v1/reports/competences", None),
                         ("/api/v1/blueprints/{code}/statistics", {"code": "BP-CCVC"})]:
        call("get", path, params, admin)
    assert len(checked) == 25


def test_the_documented_error_is_the_error_sent(client, make_user, auth_headers):
    doc = openapi(client)
    error = resolve(doc, {"$ref": "#/components/schemas/Error"})
    assert (error["properties"]["code"]["type"], error["properties"]["status"]["type"]) == ("string", "integer")
    candidate = auth_headers(make_user("candidate"))
    responses = [client.get("/api/v1/items"), client.get("/api/v1/items", headers=candidate),
                 client.get("/api/v1/no-such-thing"), client.delete("/api/v1/health"),
                 client.post("/api/v1/auth/token", json={"username": "x"})]
    for response in responses:
        assert response.status_code >= 400
        assert not conforms(doc, {"$ref": "#/components/schemas/Error"}, response.get_json()), response.get_json()


def test_validation_speaks_vietnamese_in_the_api(client, make_user, auth_headers):
    missing = client.post("/api/v1/auth/token", json={"username": "x"}).get_json()
    assert missing["errors"] == {"password": ["Bắt buộc."]}
    unknown = client.post("/api/v1/auth/token", json={"username": "x", "password": "y", "role": "admin"}).get_json()
    assert unknown["errors"] == {"role": ["Trường này không được chấp nhận."]}
    headers = auth_headers(make_user("reviewer"))
    too_many = client.get("/api/v1/items?per_page=100000", headers=headers).get_json()
    assert too_many["errors"] == {"per_page": ["Phải từ 1 đến 200."]}
    not_a_number = client.get("/api/v1/items?page=mot", headers=headers).get_json()
    assert not_a_number["errors"] == {"page": ["Phải là số nguyên."]}


def test_every_schema_field_left_to_marshmallow_speaks_vietnamese():
    """No schema of the service keeps one of marshmallow's English messages."""
    import service.schemas.auth
    import service.schemas.certificates
    import service.schemas.exams
    import service.schemas.framework
    import service.schemas.items
    import service.schemas.people  # noqa: F401 - every schema module, so every schema class exists

    def schemas(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from schemas(sub)

    for cls in set(schemas(Schema)):
        if cls.__module__.startswith("service.schemas"):
            for name, field in cls().fields.items():
                for inner in (field, getattr(field, "inner", None)):
                    texts = getattr(inner, "error_messages", {}).values()
                    assert not [t for t in texts if t.isascii()], (cls.__name__, name, texts)


def test_the_candidates_view_of_an_attempt_has_no_key_material():
    assert set(AttemptSchema.views) == set(VIEWS)  # a view for each answer of question_bank.review
    for view in ("sitting", "score", "areas"):
        fields = AttemptSchema(view=view).fields["items"].inner.schema.fields
        assert not {"key", "credit", "explanation", "competence"} & set(fields), view
    assert {"key", "explanation"} <= set(AttemptSchema(view="full").fields["items"].inner.schema.fields)
    assert set(AttemptSchema(view="score").fields["result"].schema.fields) == {
        "percent", "score_10", "passed", "classification", "classification_name"}
