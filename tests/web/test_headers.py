"""Security headers on every page and API response, the documentation page's narrower exception, and a
real browser that loads the candidate's pages under the policy without a violation."""

import pytest

from service.headers import CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/dang-nhap", "/v/khong-hop-le", "/api/v1/health", "/api/v1/openapi.json",
                                  "/api/v1/khong-co", "/quan-ly/", "/static/site.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers  # only in production, behind HTTPS
    response.close()


def test_only_the_api_documentation_may_run_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in DOCS_CONTENT_SECURITY_POLICY


def test_production_asks_browsers_for_https_only(app):
    from service import create_app

    production = create_app({**app.config, "ENV_NAME": "production"})
    response = production.test_client().get("/dang-nhap")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
