"""One presentation layer: the pages share schemas and guards with the API but never its resources; the OpenAPI
document describes every body the API sends, success and error alike; validation speaks Vietnamese."""

import ast
import enum
import importlib
import pkgutil
from pathlib import Path

import pytest
from marshmallow import fields, validate

import service.schemas
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


@pytest.mark.parametrize("path", ["/api/v1/items/import", "/api/v1/users/import", "/api/v1/verify/pdf"])
def test_uploads_are_documented_as_the_multipart_forms_they_are(client, path):
    doc = openapi(client)
    body = doc["paths"][path]["post"]["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]
    form = resolve(doc, body["content"]["multipart/form-data"]["schema"])
    assert form["properties"]["file"] == {**form["properties"]["file"], "type": "string", "format": "binary"}
    assert "file" in form["required"]


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


COMPARISON_WORDS = ("message_gt", "message_gte", "message_lt", "message_lte")  # Range's {min_op}: unused by ours


def test_every_schema_field_left_to_marshmallow_speaks_vietnamese():
    """No schema of the service keeps one of marshmallow's English messages, in a field or in a validator."""
    for module in pkgutil.iter_modules(service.schemas.__path__):
        importlib.import_module(f"service.schemas.{module.name}")  # every schema class exists

    def schemas(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from schemas(sub)

    def texts(validator):
        if not isinstance(validator, validate.Validator):
            return []  # a function of the service's, which raises its own message
        names = [name for name in dir(validator) if name.startswith("message") or name in ("default_message", "error")]
        names = [name for name in names if name not in COMPARISON_WORDS]
        return [getattr(validator, name) for name in names if isinstance(getattr(validator, name), str)]

    for cls in set(schemas(Schema)):
        if cls.__module__.startswith("service.schemas"):
            schema = cls()
            assert not [t for t in schema.error_messages.values() if t.isascii()], cls.__name__
            for name, field in schema.fields.items():
                for inner in (field, getattr(field, "inner", None)):
                    messages = [*getattr(inner, "error_messages", {}).values(),
                                *(text for v in getattr(inner, "validators", []) for text in texts(v))]
                    assert not [t for t in messages if t.isascii()], (cls.__name__, name, messages)


def test_a_kind_of_field_the_service_does_not_use_yet_still_speaks_vietnamese():
    class Probe(Schema):
        kind = fields.Enum(enum.Enum("Kind", "a b"))
        uuid = fields.UUID()
        address = fields.IP()
        when = fields.TimeDelta()

    errors = Probe().validate({"kind": "c", "uuid": "x", "address": "x", "when": "x"})
    assert errors == {"kind": ["Phải là một trong: a, b."], "uuid": ["Giá trị không hợp lệ."],
                      "address": ["Giá trị không hợp lệ."], "when": ["Giá trị không hợp lệ."]}


def test_a_malformed_json_body_is_refused_in_vietnamese(client, bank, make_user, make_session, auth_headers):
    candidate = make_user("candidate")
    headers = auth_headers(candidate)
    session = make_session([candidate])
    attempt = client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=headers)
    assert attempt.status_code in (200, 201), attempt.get_json()
    attempt_id = attempt.get_json()["id"]
    author = auth_headers(make_user("author"))
    for path, method, who in ((f"/api/v1/attempts/{attempt_id}/responses/1", client.put, headers),
                              ("/api/v1/auth/token", client.post, {}), ("/api/v1/items", client.post, author)):
        response = method(path, data="notjson", content_type="application/json", headers=who)
        assert response.status_code == 400, path
        assert response.get_json()["errors"] == {"json": ["Nội dung gửi lên không phải JSON hợp lệ."]}, path


def test_every_api_blueprint_parses_with_the_vietnamese_parser(app):
    import flask_smorest

    import service.resources

    api_blueprints = [bp for bp in app.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert len(api_blueprints) >= 12
    for blueprint in api_blueprints:
        assert isinstance(blueprint.ARGUMENTS_PARSER, service.resources.Parser), blueprint.name


def test_webargs_and_marshmallow_defaults_never_reach_a_caller(client, make_user, auth_headers):
    headers = auth_headers(make_user("admin"))
    answers = [client.get("/api/v1/items?page=1.5", headers=headers),
               client.post("/api/v1/auth/token", json={"password": "x", "extra": 1}),
               client.post("/api/v1/auth/token", json=["username", "password"]),
               client.post("/api/v1/auth/token", json={"username": None, "password": 5}),
               client.get("/api/v1/audit?since=hôm-qua", headers=headers)]
    for answer in answers:
        assert answer.status_code == 422, answer.get_json()
        for location_messages in answer.get_json()["errors"].values():
            assert not [m for m in location_messages if m.isascii()], answer.get_json()
    assert answers[0].get_json()["errors"] == {"page": ["Phải là số nguyên."]}
    assert answers[1].get_json()["errors"] == {"username": ["Bắt buộc."], "extra": ["Trường này không được chấp nhận."]}


def test_the_candidates_view_of_an_attempt_has_no_key_material():
    assert set(AttemptSchema.views) == set(VIEWS)  # a view for each answer of question_bank.review
    for view in ("sitting", "score", "areas"):
        fields = AttemptSchema(view=view).fields["items"].inner.schema.fields
        assert not {"key", "credit", "explanation", "competence"} & set(fields), view
    assert {"key", "explanation"} <= set(AttemptSchema(view="full").fields["items"].inner.schema.fields)
    assert set(AttemptSchema(view="score").fields["result"].schema.fields) == {
        "percent", "score_10", "passed", "classification", "classification_name"}
