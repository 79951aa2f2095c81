"""Forms drawn by the service from the shipped bank: never two items of one enemy group, and the draws of a
cell spread over its competences."""

from collections import Counter

from sqlalchemy import select

from service.extensions import db
from service.models import AttemptItem, Competence, ItemVersion
from service.models.bank import item_version_audiences


def test_forms_never_hold_two_enemies_and_spread_over_competences(client, bank, make_user, make_session,
                                                                   auth_headers):
    people = [make_user("candidate") for _ in range(25)]
    session = make_session(people)
    attempts = [client.post(f"/api/v1/exam-sessions/{session.id}/attempts", headers=auth_headers(p)).get_json()
                for p in people]
    available: dict = {}
    for competence, area, level in db.session.execute(
            select(ItemVersion.competence_code, Competence.area_code, ItemVersion.level_code)
            .join(Competence, Competence.code == ItemVersion.competence_code)
            .join(item_version_audiences, item_version_audiences.c.item_version_id == ItemVersion.id)
            .where(ItemVersion.status == "active", item_version_audiences.c.audience_code == "cong_chuc")):
        available.setdefault((area, level), set()).add(competence)
    groups_met = 0
    for attempt in attempts:
        rows = db.session.execute(
            select(ItemVersion.enemy_group, ItemVersion.competence_code, Competence.area_code, ItemVersion.level_code)
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .join(Competence, Competence.code == ItemVersion.competence_code)
            .where(AttemptItem.attempt_id == attempt["id"])).all()
        groups = Counter(group for group, *_ in rows if group)
        assert all(n == 1 for n in groups.values()), groups
        groups_met += len(groups)
        by_cell: dict = {}
        for _, competence, area, level in rows:
            by_cell.setdefault((area, level), []).append(competence)
        for cell, competences in by_cell.items():
            counts = Counter(competences)
            # Spread: a competence is drawn twice only once every competence of the cell has been drawn.
            if max(counts.values()) > 1:
                assert set(counts) == available[cell], (cell, counts, available[cell])
    assert groups_met > 0  # the forms did meet enemy groups, and held one item of each
