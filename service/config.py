"""Configuration from environment variables, with safe defaults for development."""

import os
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("SATHACH_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


class ConfigError(RuntimeError):
    """The service refuses to start with this configuration."""


def from_environment(environ=os.environ) -> dict:
    """Build the Flask config mapping from environment variables."""
    production = environ.get("SATHACH_ENV", "development") == "production"
    secret = environ.get("SECRET_KEY")
    if production and not secret:
        raise ConfigError("Cần đặt SECRET_KEY khi SATHACH_ENV=production.")
    if production and not environ.get("REDIS_URL"):
        # Rate limits must be one budget for every worker and machine (SPEC §9): in Redis, not per process.
        raise ConfigError("Cần đặt REDIS_URL khi SATHACH_ENV=production: giới hạn tần suất phải dùng chung cho "
                          "mọi tiến trình và mọi máy.")
    instance = Path(environ.get("SATHACH_INSTANCE", INSTANCE_DIR))
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": secret or "dev-only-not-secret",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            environ.get("DATABASE_URL") or f"sqlite:///{instance / 'sathach.db'}"
        ),
        "DATABASE_POOL_SIZE": int(environ.get("DATABASE_POOL_SIZE", 10)),
        "PUBLIC_BASE_URL": environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "REDIS_URL": environ.get("REDIS_URL") or None,
        "KEYS_DIR": environ.get("KEYS_DIR", str(instance / "keys")),
        "SIGNING_PKCS12": environ.get("SIGNING_PKCS12") or None,
        "SIGNING_PKCS12_PASSPHRASE": environ.get("SIGNING_PKCS12_PASSPHRASE") or None,
        "SIGNING_TRUST_ROOTS": environ.get("SIGNING_TRUST_ROOTS") or None,
        "ISSUER_NAME": environ.get("ISSUER_NAME", "Sở Thông tin và Truyền thông tỉnh Bến Tre"),
        "ISSUER_PLACE": environ.get("ISSUER_PLACE", "Bến Tre"),
        "SERIAL_PREFIX": environ.get("SERIAL_PREFIX", "BTR"),
        "TOKEN_TTL_SECONDS": int(environ.get("TOKEN_TTL_SECONDS", 8 * 3600)),
        "TRUSTED_PROXIES": int(environ.get("TRUSTED_PROXIES", 0)),
        "VERIFY_RATE_LIMIT": environ.get("VERIFY_RATE_LIMIT", "120/minute"),
        "MAX_CONTENT_LENGTH": int(environ.get("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)),
        "INSTANCE_DIR": str(instance),
        # An item version's calibration is used from this many responses; below, its prior (question_bank.irt).
        "CALIBRATION_MIN_RESPONSES": int(environ.get("CALIBRATION_MIN_RESPONSES", 200)),
        # A blueprint whose simulated decision consistency is below this fails `flask blueprints check` and is
        # refused by `flask bank load`, when its figures rest on measured parameters.
        "DECISION_CONSISTENCY_MIN": float(environ.get("DECISION_CONSISTENCY_MIN", 0.90)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
    }


def engine_options(url: str, pool_size: int) -> dict:
    """Check each connection before use, so that a restarted database fails no request. Keep as
    many PostgreSQL connections per process as it has request threads: a smaller pool opens and closes a
    connection for every request beyond it."""
    options = {"pool_pre_ping": True}
    if not url.startswith("sqlite"):
        options.update(pool_size=pool_size, max_overflow=pool_size)
    return options


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
