from flask import jsonify
from flask.views import MethodView

from .. import clock
from .. import standard_settings as studies
from ..auth import STAFF, current_user, requires
from ..extensions import db
from ..schemas.base import page_schema, whole_list
from ..schemas.standard_settings import (
    RatingsSchema,
    SavedSchema,
    StudyCreateSchema,
    StudyDetailSchema,
    StudyItemSchema,
    StudyResultSchema,
    StudySchema,
)
from . import Blueprint

blp = Blueprint("standard_settings", __name__, description="Xác định điểm chuẩn (Angoff cải tiến)")


def _view(user) -> str:
    return "admin" if user.role == "admin" else "panel"


def _detail(study, user, status: int = 200):
    """The study in the reader's view, with the items as the reader rates them."""
    body = StudySchema(view=_view(user)).dump(study)
    body["items"] = StudyItemSchema(many=True).dump(studies.rated_items(study, user))
    response = jsonify(body)
    response.status_code = status
    return response


@blp.route("/standard-settings")
class StandardSettings(MethodView):
    @requires(*STAFF)
    @blp.response(200, page_schema(StudySchema))
    def get(self):
        """Every study for the admin; the studies a staff member is on the panel of, for anyone else."""
        user = current_user()
        found = db.session.scalars(studies.listing(user)).all()
        return jsonify(page_schema(StudySchema)(only=(
            "total", *(f"items.{name}" for name in StudySchema.views[_view(user)]))).dump(whole_list(found)))

    @requires()
    @blp.arguments(StudyCreateSchema)
    @blp.response(201, StudyDetailSchema)
    def post(self, data):
        """Open a study of a blueprint's current version: its panel (staff, by username) and the items to rate
        (`items_per_cell` drawn at random from each cell, default 3, or the `item_version_ids` listed).

        :raise 422: unknown blueprint or account, a candidate on the panel, an item outside the blueprint, a
            cell without items.
        """
        user = current_user()
        return _detail(studies.create_study(data, user), user, 201)


@blp.route("/standard-settings/<int:study_id>")
class StandardSetting(MethodView):
    @requires(*STAFF)
    @blp.response(200, StudyDetailSchema)
    def get(self, study_id):
        """A study with its items (text, options, key) and the reader's own ratings of the current round; from
        round 2 on, the panel's mean per item of the earlier rounds. Others' ratings only in the admin's result.

        :raise 403: not the admin nor on the panel. 404:
        """
        user = current_user()
        return _detail(studies.readable(study_id, user), user)


@blp.route("/standard-settings/<int:study_id>/ratings")
class Ratings(MethodView):
    @requires(*STAFF)
    @blp.arguments(RatingsSchema)
    @blp.response(200, SavedSchema)
    def put(self, data, study_id):
        """Rate items of the study in its current round: for each, the probability (0..1) that a minimally
        competent candidate answers it right. Rating an item again in the same round replaces the rating.

        :raise 403: not on the panel. 409: the study is closed. 422: a probability outside 0..1, an item not in
            the study.
        """
        user = current_user()
        study = studies.readable(study_id, user)
        saved = studies.rate(study, user, data["ratings"], clock.now())
        return {"saved": saved, "round": study.round}


@blp.route("/standard-settings/<int:study_id>/rounds")
class Rounds(MethodView):
    @requires()
    @blp.response(200, StudySchema)
    def post(self, study_id):
        """Open the next round, once every panel member has rated every item (they discuss, then may rate again;
        an item not rated again keeps its latest rating).

        :raise 409: the study is closed, or ratings are missing (who and what named).
        """
        user = current_user()
        return jsonify(StudySchema(view="admin").dump(studies.open_round(studies.study_or_404(study_id), user)))


@blp.route("/standard-settings/<int:study_id>/result")
class Result(MethodView):
    @requires()
    @blp.response(200, StudyResultSchema)
    def get(self, study_id):
        """The panel's cut now (weighted so that it is the expected percent on a form drawn at random), its
        spread and standard error, each rater's cut, the cut after each round, the pass mark it would set,
        who is missing which items, and every rating per item."""
        return studies.figures(studies.study_or_404(study_id))


@blp.route("/standard-settings/<int:study_id>/derive")
class Derive(MethodView):
    @requires()
    @blp.response(200, StudySchema)
    def post(self, study_id):
        """Derive the cut and make it, rounded half up to a whole percent, the pass mark of a new current version
        of the blueprint; sessions created from now on use it, sessions created before keep their version.

        :raise 409: already derived or cancelled, ratings missing (who and what named), the blueprint changed
            since the study began, or the new version would be invalid.
        """
        user = current_user()
        study = studies.derive(studies.study_or_404(study_id), user, clock.now())
        return jsonify(StudySchema(view="admin").dump(study))


@blp.route("/standard-settings/<int:study_id>/cancel")
class Cancel(MethodView):
    @requires()
    @blp.response(200, StudySchema)
    def post(self, study_id):
        """Close the study without a cut (its ratings stay). :raise 409: already closed."""
        user = current_user()
        return jsonify(StudySchema(view="admin").dump(studies.cancel(studies.study_or_404(study_id), user)))
