"""The database roles of a production PostgreSQL: an owner that migrates, and a runtime role the service
connects as, which reads and writes rows but cannot rewrite history.

The runtime role gets SELECT, INSERT, UPDATE, DELETE on the tables, and on the audit log only SELECT and
INSERT. Not owning anything, it cannot TRUNCATE, ALTER (so not DISABLE TRIGGER) or DROP a table, and the
audit log's triggers (append-only, time stamped by the database) hold against it. Grants name the tables
that exist, so run `flask db grant-runtime ROLE` as the owner after every `flask db upgrade`."""

from sqlalchemy import text

from .extensions import db

APPEND_ONLY = ("audit_log",)
READ_ONLY = ("alembic_version",)


class RoleError(RuntimeError):
    pass


def grant_runtime(role: str) -> list[str]:
    """Give `role` exactly the runtime privileges; returns the tables granted. Idempotent.

    :raise RoleError: not PostgreSQL, no such role, or a role that is a superuser or owns a table (it
    would keep every power this separation takes away)."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        raise RoleError("Vai trò CSDL riêng chỉ dùng với PostgreSQL.")
    found = session.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if found is None:
        raise RoleError(f"Không có vai trò CSDL {role}.")
    if found.rolsuper:
        raise RoleError(f"{role} là superuser: vai trò chạy dịch vụ không được có quyền đó.")
    tables = list(session.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")))
    owned = session.scalar(text(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = :role"), {"role": role})
    if owned:
        raise RoleError(f"{role} đang sở hữu bảng: vai trò chạy dịch vụ không được là chủ sở hữu.")
    quoted = session.scalar(text("SELECT quote_ident(:role)"), {"role": role})
    statements = [f"GRANT USAGE ON SCHEMA {_schema(session)} TO {quoted}"]
    for table in tables:
        statements.append(f'REVOKE ALL ON "{table}" FROM {quoted}')
        if table in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        elif table in READ_ONLY:
            privileges = "SELECT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f'GRANT {privileges} ON "{table}" TO {quoted}')
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_schema(session)} TO {quoted}")
    for statement in statements:
        session.execute(text(statement))
    return tables


def _schema(session) -> str:
    return session.scalar(text("SELECT quote_ident(current_schema())"))
