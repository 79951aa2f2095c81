"""Signing in through the web form, as the page tests do it (the test client's and a real browser's)."""

import re


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client, user) -> str:
    """Sign `user` in through the form (password as `make_user` sets it); returns the CSRF token of their home."""
    page = client.get("/dang-nhap").get_data(as_text=True)
    response = client.post("/dang-nhap", data={"username": user.username, "password": "mat-khau-dung-123",
                                               "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    return csrf_of(client.get("/quan-ly/" if user.role != "candidate" else "/thi-sinh").get_data(as_text=True))


def signed_in_page(browser, served, user, home: str, **context):
    """A new page (in a context of its own, made with `context` options) with `user` signed in through the form,
    at their `home` page."""
    page = browser.new_context(**context).new_page()
    page.goto(f"{served}/dang-nhap")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "mat-khau-dung-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{home}")
    return page
