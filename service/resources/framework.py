from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from sqlalchemy import select

from ..auth import EVERYONE, requires
from ..extensions import db
from ..models import Area, Audience, Blueprint, FrameworkVersion, Level

blp = ApiBlueprint("framework", __name__, description="Khung năng lực và cấu trúc đề")


@blp.route("/framework")
class Framework(MethodView):
    @requires(*EVERYONE)
    def get(self):
        """Audiences, areas with their competences, and levels."""
        latest = db.session.scalar(select(FrameworkVersion).order_by(FrameworkVersion.id.desc()))
        return {
            "version": latest.version if latest else None,
            "audiences": [{"code": a.code, "name": a.name, "source": a.source}
                          for a in db.session.scalars(select(Audience).order_by(Audience.position))],
            "areas": [
                {"code": area.code, "name": area.name, "competences": [
                    {"code": c.code, "name": c.name, "plan": c.plan_refs, "digcomp": c.digcomp, "iu": c.iu,
                     "qd757": c.qd757, "tt02": c.tt02}
                    for c in area.competences
                ]}
                for area in db.session.scalars(select(Area).order_by(Area.position))
            ],
            "levels": [{"code": lv.code, "name": lv.name, "rank": lv.rank}
                       for lv in db.session.scalars(select(Level).order_by(Level.rank))],
        }


def blueprint_json(bp: Blueprint) -> dict:
    spec = bp.spec
    return {
        "id": bp.id,
        "code": bp.code,
        "version": bp.version,
        "name": bp.name,
        "audience": bp.audience_code,
        "item_count": bp.item_count,
        "duration_minutes": bp.duration_minutes,
        "framework_version": bp.framework_version,
        "pass_rule": {
            "pass_percent": spec["pass_percent"],
            "area_min_percent": spec["area_min_percent"],
            "multiple_response_scoring": spec["multiple_response_scoring"],
        },
        "bands": spec["bands"],
        "cells": spec["cells"],
        "validity_months": spec.get("validity_months"),
    }


@blp.route("/blueprints")
class Blueprints(MethodView):
    @requires(*EVERYONE)
    def get(self):
        """The current version of every blueprint."""
        rows = db.session.scalars(select(Blueprint).where(Blueprint.current).order_by(Blueprint.code))
        items = [blueprint_json(bp) for bp in rows]
        return {"items": items, "total": len(items)}


@blp.route("/blueprints/<code>/statistics")
class BlueprintStatistics(MethodView):
    @requires("reviewer")
    def get(self, code):
        """Item statistics (facility, SD, discrimination, discriminative efficiency, flags) and the blueprint's
        Cronbach's alpha and standard error, from closed attempts. Flagged items deserve a review."""
        from ..statistics import blueprint_statistics

        return blueprint_statistics(code)
