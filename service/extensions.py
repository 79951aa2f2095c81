"""Extension instances, bound to an app in the factory."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

from .schemas.errors import ErrorSchema

# Named constraints so Alembic can drop them on every backend, SQLite included.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class ServiceApi(Api):
    ERROR_SCHEMA = ErrorSchema  # what the OpenAPI document says of every error: the body service/errors.py sends


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate(render_as_batch=True)
api = ServiceApi()
csrf = CSRFProtect()  # web pages only: the API authenticates with bearer tokens, not cookies
