from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth import EVERYONE, requires
from ..extensions import db
from ..models import Area, Audience, Blueprint, FrameworkVersion, Level
from ..schemas.base import page_schema, whole_list
from ..schemas.framework import BlueprintSchema, BlueprintStatisticsSchema, FrameworkSchema
from . import Blueprint as ApiBlueprint

blp = ApiBlueprint("framework", __name__, description="Khung năng lực và cấu trúc đề")


@blp.route("/framework")
class Framework(MethodView):
    @requires(*EVERYONE)
    @blp.response(200, FrameworkSchema)
    def get(self):
        """Audiences, areas with their competences, and levels."""
        latest = db.session.scalar(select(FrameworkVersion).order_by(FrameworkVersion.id.desc()))
        return {
            "version": latest.version if latest else None,
            "audiences": db.session.scalars(select(Audience).order_by(Audience.position)).all(),
            "areas": db.session.scalars(select(Area).options(selectinload(Area.competences))
                                        .order_by(Area.position)).all(),
            "levels": db.session.scalars(select(Level).order_by(Level.rank)).all(),
        }


@blp.route("/blueprints")
class Blueprints(MethodView):
    @requires(*EVERYONE)
    @blp.response(200, page_schema(BlueprintSchema))
    def get(self):
        """The current version of every blueprint."""
        return whole_list(db.session.scalars(select(Blueprint).where(Blueprint.current)
                                             .order_by(Blueprint.code)).all())


@blp.route("/blueprints/<code>/statistics")
class BlueprintStatistics(MethodView):
    @requires("reviewer")
    @blp.response(200, BlueprintStatisticsSchema)
    def get(self, code):
        """Item statistics (facility, SD, discrimination, discriminative efficiency, flags) and the blueprint's
        Cronbach's alpha and standard error, from closed attempts. Flagged items deserve a review."""
        from ..statistics import blueprint_statistics

        return blueprint_statistics(code)
