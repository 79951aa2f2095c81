"""Marshmallow schemas shared by several resources."""

from marshmallow import EXCLUDE, Schema, fields, validate


class PageArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def page_of(query, args, session, serialise):
    """Run a select for one page: {"items": [...], "total": N, "page": p, "per_page": n}."""
    from sqlalchemy import func, select

    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"]))
    return {"items": [serialise(r) for r in rows], "total": total, "page": args["page"],
            "per_page": args["per_page"]}
