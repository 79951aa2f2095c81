"""The access matrix: every route of the OpenAPI document × every role (and anonymous), and the pages that show an
API's figures × every role (and anonymous).

EXPECTED is written out by hand: a new route fails this test until someone decides who may call it."""

import re

import pytest

from service.models import ROLES
from tests.web.pages import sign_in

PUBLIC = "public"
ALL = set(ROLES)
STAFF_ITEMS = {"author", "reviewer", "admin"}

EXPECTED = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/framework"): ALL,
    ("GET", "/api/v1/blueprints"): ALL,
    ("GET", "/api/v1/blueprints/{code}/statistics"): {"reviewer", "admin"},
    ("GET", "/api/v1/items"): STAFF_ITEMS,
    ("POST", "/api/v1/items"): {"author", "admin"},
    ("GET", "/api/v1/items/{item_id}"): STAFF_ITEMS,
    ("PUT", "/api/v1/items/{item_id}"): {"author", "admin"},
    ("POST", "/api/v1/items/{item_id}/transitions"): STAFF_ITEMS,
    ("POST", "/api/v1/items/import"): {"author", "admin"},
    ("GET", "/api/v1/items/export"): STAFF_ITEMS,
    ("GET", "/api/v1/items/template.xlsx"): STAFF_ITEMS,
    ("GET", "/api/v1/exam-sessions"): {"candidate", "proctor", "unit_manager", "admin"},
    ("POST", "/api/v1/exam-sessions"): {"proctor", "admin"},
    ("GET", "/api/v1/exam-sessions/{session_id}"): {"candidate", "proctor", "unit_manager", "admin"},
    ("POST", "/api/v1/exam-sessions/{session_id}/enrolments"): {"proctor", "unit_manager", "admin"},
    ("GET", "/api/v1/exam-sessions/{session_id}/progress"): {"proctor", "admin"},
    ("POST", "/api/v1/exam-sessions/{session_id}/attempts"): {"candidate", "admin"},
    ("GET", "/api/v1/attempts/{attempt_id}"): {"candidate", "proctor", "unit_manager", "admin"},
    ("PUT", "/api/v1/attempts/{attempt_id}/responses/{position}"): {"candidate", "admin"},
    ("POST", "/api/v1/attempts/{attempt_id}/submit"): {"candidate", "admin"},
    ("POST", "/api/v1/attempts/{attempt_id}/extra-time"): {"proctor", "admin"},
    ("POST", "/api/v1/attempts/{attempt_id}/void"): {"proctor", "admin"},
    ("GET", "/api/v1/certificates/{public_id}"): {"candidate", "proctor", "unit_manager", "admin"},
    ("GET", "/api/v1/certificates/{public_id}/pdf"): {"candidate", "proctor", "unit_manager", "admin"},
    ("POST", "/api/v1/certificates/{public_id}/revoke"): {"admin"},
    ("POST", "/api/v1/certificates/{public_id}/reissue"): {"admin"},
    ("GET", "/api/v1/exam-sessions/{session_id}/certificates"): {"proctor", "admin"},
    ("POST", "/api/v1/exam-sessions/{session_id}/certificates"): {"proctor", "admin"},
    ("GET", "/api/v1/exam-sessions/{session_id}/certificates.zip"): {"proctor", "admin"},
    ("GET", "/api/v1/verify/keys"): PUBLIC,
    ("POST", "/api/v1/verify/pdf"): PUBLIC,
    ("GET", "/api/v1/verify/{token}"): PUBLIC,
    ("GET", "/api/v1/units"): {"author", "reviewer", "proctor", "unit_manager", "admin"},
    ("GET", "/api/v1/units/{code}/results"): {"unit_manager", "admin"},
    ("GET", "/api/v1/units/{code}/certificates.zip"): {"unit_manager", "admin"},
    ("GET", "/api/v1/audit"): {"admin"},
    ("GET", "/api/v1/users"): {"unit_manager", "admin"},
    ("POST", "/api/v1/users/import"): {"unit_manager", "admin"},
    ("POST", "/api/v1/auth/password"): ALL,
    ("GET", "/api/v1/reports/progress"): {"admin"},
    ("GET", "/api/v1/reports/competences"): {"admin"},
    # Standard setting: any staff member may sit on a panel (the study itself checks membership).
    ("GET", "/api/v1/standard-settings"): ALL - {"candidate"},
    ("POST", "/api/v1/standard-settings"): {"admin"},
    ("GET", "/api/v1/standard-settings/{study_id}"): ALL - {"candidate"},
    ("PUT", "/api/v1/standard-settings/{study_id}/ratings"): ALL - {"candidate"},
    ("POST", "/api/v1/standard-settings/{study_id}/rounds"): {"admin"},
    ("GET", "/api/v1/standard-settings/{study_id}/result"): {"admin"},
    ("POST", "/api/v1/standard-settings/{study_id}/derive"): {"admin"},
    ("POST", "/api/v1/standard-settings/{study_id}/cancel"): {"admin"},
}


def operations(app):
    with app.test_client() as client:
        doc = client.get("/api/v1/openapi.json").get_json()
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops
            if method in ("get", "post", "put", "patch", "delete")}


def test_every_documented_route_is_in_the_matrix(app):
    assert operations(app) == set(EXPECTED)


def _call(client, method, path, headers):
    url = re.sub(r"\{[^}]+\}", "999999", path)
    return client.open(url, method=method, json={}, headers=headers)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_route_enforces_roles(client, make_user, auth_headers, method, path):
    allowed = EXPECTED[(method, path)]
    anonymous = _call(client, method, path, {})
    if allowed == PUBLIC:
        assert anonymous.status_code not in (401, 403)
        return
    assert anonymous.status_code == 401, anonymous.get_json()
    for role in ROLES:
        response = _call(client, method, path, auth_headers(make_user(role)))
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.get_json())
        else:
            assert response.status_code == 403, (role, response.get_json())
            assert response.get_json()["code"] == "forbidden"


def test_openapi_documents_the_bearer_token_and_roles(app):
    with app.test_client() as client:
        doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for (method, path), allowed in EXPECTED.items():
        operation = doc["paths"][path][method.lower()]
        if allowed == PUBLIC:
            assert "security" not in operation, path
        else:
            assert operation["security"] == [{"bearer": []}], path
            assert set(operation["x-roles"]) == allowed, path


# Pages that show what an API route gives: the same roles as that route. Anonymous visitors are sent to sign in;
# other roles get the 403 page.
STATISTICS = ("GET", "/api/v1/blueprints/{code}/statistics")
PAGES = {
    "/quan-ly/thong-ke": STATISTICS,
    "/quan-ly/thong-ke/BP-CCVC": STATISTICS,
}
PAGE_ENDPOINTS = {"staff.statistics_list": STATISTICS, "staff.blueprint_statistics": STATISTICS}


def test_every_page_of_an_api_route_is_in_the_matrix_with_the_routes_roles(app):
    pages = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/quan-ly/thong-ke")}
    assert set(pages.values()) == set(PAGE_ENDPOINTS)
    for endpoint, route in PAGE_ENDPOINTS.items():
        assert app.view_functions[endpoint].allowed_roles == EXPECTED[route], endpoint
        assert any(app.url_map.bind("").match(path)[0] == endpoint for path in PAGES), endpoint


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("path", sorted(PAGES))
def test_page_enforces_roles(client, bank, make_user, path, role):
    if role is None:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap?next="), path
        return
    sign_in(client, make_user(role))
    response = client.get(path)
    expected = 200 if role in EXPECTED[PAGES[path]] else 403
    assert response.status_code == expected, (path, role, response.status_code)
    assert response.mimetype == "text/html"
