"""SatHach: the digital-skills assessment and certification service."""

from pathlib import Path

from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface

from certificates.pdf import vn_number
from certificates.vietnam_time import vn_time

from . import config as config_module
from . import headers, input_guard, ratelimit, unit_of_work
from .extensions import api, csrf, db, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides what the environment gives (tests pass their own)."""
    app = Flask(__name__, instance_path=None)
    app.config.update(config_module.from_environment())
    app.config.update(
        API_TITLE="SatHach API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",  # served from the swagger-ui-bundle package: no CDN
        JSON_AS_ASCII=False,
        # A page's CSRF token lasts as long as its signed-in session (whose record on the server expires and is
        # deleted at sign-out), not Flask-WTF's default hour: an exam page open for 60 minutes and extra time
        # must still save and submit.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if config:
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", config_module.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATABASE_POOL_SIZE"]))
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here
    if app.config["TRUSTED_PROXIES"]:
        # Behind a load balancer: take the client address (login throttling, rate limits) from X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)
    app.json.ensure_ascii = False
    app.session_interface = WebPagesOnlySessions()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    api.init_app(app)
    input_guard.init_app(app, api)  # before any route is added: it bounds <int:…>
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    ratelimit.init_app(app)
    csrf.init_app(app)
    unit_of_work.init_app(app)
    headers.init_app(app)

    from .errors import register_error_handlers

    register_error_handlers(app)

    @app.before_request
    def forget_previous_request():
        # What is cached in g belongs to one request; the test suite reuses one app context across requests.
        for name in ("identity", "user", "web_user", "csrf_token"):
            g.pop(name, None)

    from .resources import register_blueprints

    register_blueprints(api)

    from .web import web

    app.register_blueprint(web)
    from .staff_web import staff

    app.register_blueprint(staff)
    from .author_web import author

    app.register_blueprint(author)
    from .admin_web import admin

    app.register_blueprint(admin)
    from .standard_web import standard

    app.register_blueprint(standard)
    app.add_url_rule("/api/v1/docs/assets/<path:filename>", "swagger_ui_assets", _swagger_ui_asset)
    app.add_template_filter(_vn_date, "vn_date")
    app.add_template_filter(_vn_number, "vn_number")  # 8.75 -> 8,75: numbers as on the certificate
    app.add_template_global(vn_time, "vn_time")  # every time a page shows is Viet Nam's

    from .cli import register_commands

    register_commands(app)
    return app


class WebPagesOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session for the web pages. The API authenticates by bearer token and never
    reads or writes the cookie, so its requests get the null session (which refuses writes) and skip the
    cookie's signature check."""

    def open_session(self, app: Flask, request):
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def _swagger_ui_asset(filename: str):
    from flask import send_from_directory
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def _vn_date(day) -> str:
    """A date (or its ISO text, as the schemas dump it) as written in Viet Nam: dd/mm/yyyy."""
    year, month, day = str(day).split("-")
    return f"{day}/{month}/{year}"


def _vn_number(value: float | None, decimals: int = 2) -> str:
    """A figure as the certificates print it, with a decimal comma (0,75; -33,3; 9); "—" when there is none."""
    return "—" if value is None else vn_number(value, decimals)


def _migrations_dir():
    return Path(__file__).resolve().parent.parent / "migrations"
