"""The floors the benchmark measures the service against: bare Flask endpoints doing only the one indexed
statement the real endpoint cannot avoid, on the same database and the same gunicorn set-up."""

import json
import os

from flask import Flask, request
from sqlalchemy import create_engine, text

from service.config import normalise_database_url

app = Flask(__name__)
engine = create_engine(normalise_database_url(os.environ["DATABASE_URL"]), pool_size=10, pool_pre_ping=True)

SAVE = text("UPDATE attempt_items SET answer = :answer, answered_at = now() "
            "WHERE attempt_id = :attempt AND position = :position")
LOOKUP = text("SELECT serial, status, holder_name FROM certificates WHERE public_id = :id")


@app.put("/floor/save/<int:attempt>/<int:position>")
def save(attempt, position):
    with engine.begin() as conn:
        conn.execute(SAVE, {"answer": json.dumps(request.get_json()["answer"]), "attempt": attempt,
                            "position": position})
    return {"saved": True}


@app.get("/floor/lookup/<public_id>")
def lookup(public_id):
    with engine.connect() as conn:
        row = conn.execute(LOOKUP, {"id": public_id}).first()
    return {"status": row.status if row else "invalid"}
