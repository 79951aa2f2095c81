"""Every 429 says when to come back (Retry-After, in seconds), from the API and from the pages alike: the login
throttles (an account locked after repeated failures, an address that failed too often) and the verification
rate limit (QR tokens, uploaded PDFs, the public page)."""

import io

import pytest

from tests.web.pages import csrf_of


def retry_after(response) -> int:
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert seconds > 0
    return seconds


def api_login(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def page_login(client, username, password):
    form = client.get("/dang-nhap").get_data(as_text=True)
    return client.post("/dang-nhap", data={"username": username, "password": password, "csrf_token": csrf_of(form)})


@pytest.mark.parametrize("login", [api_login, page_login], ids=["api", "page"])
def test_a_locked_account_is_told_when_to_retry(client, make_user, login):
    person = make_user("candidate")
    for attempt in range(6):
        login(client, person.username, f"sai-{attempt}")
    locked = login(client, person.username, "mat-khau-dung-123")
    assert retry_after(locked) <= 15 * 60
    if login is page_login:
        assert "thử lại sau" in locked.get_data(as_text=True) and locked.mimetype == "text/html"
    else:
        assert locked.get_json()["code"] == "too_many_requests"


@pytest.mark.parametrize("login", [api_login, page_login], ids=["api", "page"])
def test_an_address_that_failed_too_often_is_told_when_to_retry(client, login):
    for n in range(30):
        login(client, f"khong-co-{n}", "sai")
    assert 0 < retry_after(login(client, "khong-co-nua", "sai")) <= 15 * 60


@pytest.mark.parametrize("ask", [
    lambda client: client.get("/api/v1/verify/khong-hop-le"),
    lambda client: client.post("/api/v1/verify/pdf", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(b"%PDF-1.7 x"), "x.pdf")}),
    lambda client: client.get("/v/khong-hop-le"),
], ids=["api-token", "api-pdf", "page"])
def test_verification_beyond_its_rate_is_told_when_to_retry(client, app, ask):
    app.config["VERIFY_RATE_LIMIT"] = "3/minute"
    assert [ask(client).status_code for _ in range(3)] != [429] * 3
    assert retry_after(ask(client)) <= 60
