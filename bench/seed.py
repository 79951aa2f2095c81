"""Benchmark data: N candidates enrolled in one open session, their bearer tokens written to KEYS_DIR/tokens.txt
(and a reviewer's, who reads the keys so that half the candidates can pass, to reviewer.txt).
One password hash is shared (hashing a thousand argon2 passwords is not what is measured)."""

import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from service import clock, create_app
from service.auth import hash_password, issue_token
from service.exams import create_session
from service.extensions import db
from service.models import Unit, User


def main(count: int) -> None:
    app = create_app()
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BTR-BATRI"))
        shared_hash = hash_password("bench-password-123")
        people = [User(username=f"bench{n:05d}", password_hash=shared_hash, role="candidate",
                       full_name=f"Nguyễn Văn Thử {n}", birth_date=date(1990, 1, 1), unit=unit,
                       audience_code="cong_chuc") for n in range(count)]
        proctor = User(username="bench-proctor", password_hash=shared_hash, role="proctor", full_name="Giám thị")
        reviewer = User(username="bench-reviewer", password_hash=shared_hash, role="reviewer", full_name="Kiểm duyệt")
        db.session.add_all([*people, proctor, reviewer])
        db.session.flush()
        now = clock.now()
        create_session({"title": "Kỳ đo hiệu năng", "blueprint": "BP-CCVC", "opens_at": now - timedelta(minutes=1),
                        "closes_at": now + timedelta(hours=2), "candidates": [p.username for p in people],
                        "units": [], "max_attempts": 1, "retake_gap_minutes": 0, "review_mode": "areas"}, proctor)
        db.session.commit()
        Path(app.config["KEYS_DIR"], "tokens.txt").write_text("\n".join(issue_token(p) for p in people))
        Path(app.config["KEYS_DIR"], "reviewer.txt").write_text(issue_token(reviewer))


if __name__ == "__main__":
    main(int(sys.argv[1]))
