"""Security headers on every response: what a page may load and run, who may frame it, what a browser may
guess and what it tells other sites.

The pages load scripts, styles and images from the service only, with no inline script or style; the one
exception is the API documentation page (Swagger UI starts itself with an inline script and styles its
widgets inline), which holds no personal data."""

from flask import Flask, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATH = "/api/v1/docs"

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Verification links carry the certificate's token in the path: never send it on to another site.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"

    @app.after_request
    def security_headers(response):
        for name, value in COMMON.items():
            response.headers.setdefault(name, value)
        docs = request.path == DOCS_PATH or request.path.startswith(DOCS_PATH + "/")
        response.headers.setdefault("Content-Security-Policy",
                                    DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY)
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
