"""Input that used to reach the database and fail there: ids beyond an integer, pages beyond any table,
control characters (NUL above all). Each gets a clear 404 or 422 (400 on a page) and changes nothing."""

import io

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.input_guard import BoundedInt
from service.models import Item

HUGE = [str(2**31), str(2**63), "9" * 30]


def _int_routes(app):
    """(method, rule, names of its integer parameters) for every route with one."""
    for rule in app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items() if isinstance(converter, BoundedInt)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}) if ints else ():
            yield method, rule.rule, ints


def test_ids_beyond_an_integer_find_no_route(app, client, make_user, auth_headers):
    headers = auth_headers(make_user("admin"))
    routes = list(_int_routes(app))
    assert len(routes) >= 20
    for method, rule, names in routes:
        for huge in HUGE:
            path = rule
            for name in names:
                path = path.replace(f"<int:{name}>", huge)
            path = path.replace("<code>", "x").replace("<public_id>", "x").replace("<path:token>", "x")
            response = client.open(path, method=method, headers=headers, json={})
            assert response.status_code == 404, (method, path, response.status_code)


def test_a_page_beyond_any_table_is_refused(client, make_user, auth_headers):
    headers = auth_headers(make_user("admin"))
    for path in ("/api/v1/items", "/api/v1/audit", "/api/v1/users", "/api/v1/exam-sessions"):
        for page in HUGE:
            response = client.get(f"{path}?page={page}", headers=headers)
            assert response.status_code == 422, (path, page)
            assert "page" in response.get_json()["errors"]
        last = client.get(f"{path}?page=1000000", headers=headers)
        assert last.status_code == 200 and last.get_json()["items"] == []


def test_the_openapi_document_bounds_path_ids(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    parameter = spec["paths"]["/api/v1/attempts/{attempt_id}"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


@pytest.mark.parametrize("request_args", [
    {"method": "POST", "path": "/api/v1/auth/token", "json": {"username": "a\x00b", "password": "x"}},
    {"method": "POST", "path": "/api/v1/auth/token", "json": {"username\x00": "a", "password": "x"}},
    {"method": "GET", "path": "/api/v1/verify/abc%00def"},
    {"method": "GET", "path": "/api/v1/health?x=%00"},
    {"method": "POST", "path": "/api/v1/auth/token", "json": {"username": "a\x1bb", "password": "x"}},
])
def test_control_characters_are_refused_before_any_view(client, request_args):
    response = client.open(request_args["path"], method=request_args["method"], json=request_args.get("json"))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error" and body["status"] == 422 and body["errors"]


def test_a_nul_in_an_item_changes_nothing(client, bank, make_user, auth_headers):
    before = db.session.scalar(select(func.count()).select_from(Item))
    item = {"type": "true_false", "stem": "Câu\x00hỏi", "key": True, "competence": "AT.1", "level": "co_ban",
            "audiences": ["cong_chuc"], "explanation": "x"}
    response = client.post("/api/v1/items", json=item, headers=auth_headers(make_user("author")))
    assert response.status_code == 422 and "stem" in response.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Item)) == before


def test_tab_and_newline_are_text(client, bank, make_user, auth_headers):
    item = {"type": "true_false", "stem": "Dòng một\nDòng\thai", "key": True, "competence": "AT.1",
            "level": "co_ban", "audiences": ["cong_chuc"], "explanation": "x"}
    assert client.post("/api/v1/items", json=item, headers=auth_headers(make_user("author"))).status_code == 201


def test_a_page_form_with_a_nul_is_a_bad_request(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/dang-nhap", data={"username": "a\x00", "password": "x"})
    assert response.status_code == 400 and "<html" in response.get_data(as_text=True)


def test_a_multipart_field_name_with_a_line_break_is_refused(client, bank, make_user, auth_headers):
    before = db.session.scalar(select(func.count()).select_from(Item))
    data = {"a\rb": "x", "file": (io.BytesIO(b"Loai,Noi dung\n"), "cau-hoi.csv")}
    response = client.post("/api/v1/items/import", data=data, headers=auth_headers(make_user("author")))
    assert response.status_code == 422 and "form" in response.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Item)) == before
