"""The criteria: audiences, areas and competences, levels, and the blueprints drawn from them."""

from marshmallow import fields

from question_bank.item_types import ITEM_TYPES

from .base import Number, Schema


class AudienceSchema(Schema):
    code = fields.String()
    name = fields.String()
    source = fields.String(allow_none=True)


class CompetenceSchema(Schema):
    code = fields.String()
    name = fields.String()
    plan = fields.List(fields.String(), attribute="plan_refs",
                       metadata={"description": "các mục của Kế hoạch mà năng lực này đáp ứng"})
    digcomp = fields.List(fields.String(), metadata={"description": "năng lực DigComp 2.2 tương ứng"})
    iu = fields.List(fields.String(), metadata={"description": "mô đun chuẩn kỹ năng CNTT (TT 03/2014)"})
    qd757 = fields.List(fields.String(), allow_none=True,
                        metadata={"description": "khung kỹ năng số cơ bản (QĐ 757/QĐ-BKHCN); null: chưa đối chiếu"})
    tt02 = fields.List(fields.String(), allow_none=True,
                       metadata={"description": "khung năng lực số (TT 02/2025/TT-BGDĐT); null: chưa đối chiếu"})


class AreaSchema(Schema):
    code = fields.String()
    name = fields.String()
    competences = fields.List(fields.Nested(CompetenceSchema))


class LevelSchema(Schema):
    code = fields.String()
    name = fields.String()
    rank = fields.Integer()


class FrameworkSchema(Schema):
    version = fields.String(allow_none=True)
    audiences = fields.List(fields.Nested(AudienceSchema))
    areas = fields.List(fields.Nested(AreaSchema))
    levels = fields.List(fields.Nested(LevelSchema))


# Read from the blueprint's spec: the thresholds, the number of items an area needs on a form before its
# minimum applies, and for each item type that can earn partial credit its setting ("partial" or
# "all_or_nothing").
PassRuleSchema = Schema.from_dict({
    "pass_percent": Number(), "area_min_percent": Number(),
    "area_min_items": fields.Integer(dump_default=1, metadata={
        "description": "ngưỡng tối thiểu mỗi lĩnh vực chỉ xét với lĩnh vực có ít nhất ngần này câu trong đề"}),
    **{kind.partial_setting: fields.String(dump_default="all_or_nothing")
       for kind in ITEM_TYPES.values() if kind.partial_setting},
}, name="PassRuleSchema")


class BlueprintSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    name = fields.String()
    audience = fields.String(attribute="audience_code")
    item_count = fields.Integer()
    duration_minutes = fields.Integer()
    framework_version = fields.String()
    pass_rule = fields.Nested(PassRuleSchema, attribute="spec")
    bands = fields.List(fields.Dict(), attribute="spec.bands",
                        metadata={"description": "xếp loại, từ cao xuống thấp: {code, name, min_percent}"})
    cells = fields.List(fields.Dict(), attribute="spec.cells",
                        metadata={"description": "số câu theo lĩnh vực và mức độ: {area, level, count}"})
    validity_months = fields.Integer(attribute="spec.validity_months", dump_default=None, allow_none=True)


class FlagSchema(Schema):
    code = fields.String()
    message = fields.String()


class CalibrationSchema(Schema):
    version = fields.Integer(metadata={"description": "số phiên bản câu hỏi được hiệu chuẩn"})
    a = fields.Float(metadata={"description": "độ phân biệt (2PL)"})
    b = fields.Float(metadata={"description": "độ khó trên thang năng lực"})
    c = fields.Float(metadata={"description": "xác suất đoán đúng, cố định theo loại câu hỏi"})
    n = fields.Integer(metadata={"description": "số câu trả lời dùng để hiệu chuẩn"})
    run = fields.Integer(metadata={"description": "lần hiệu chuẩn"})


class ItemStatisticsSchema(Schema):
    item_id = fields.Integer()
    code = fields.String()
    attempts = fields.Integer()
    facility = fields.Float(allow_none=True)
    sd = fields.Float(allow_none=True)
    discrimination = fields.Float(allow_none=True)
    discriminative_efficiency = fields.Float(allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema))
    calibration = fields.Nested(CalibrationSchema, allow_none=True)


class ReliabilitySchema(Schema):
    attempts = fields.Integer()
    items = fields.Integer()
    mean = fields.Float(allow_none=True)
    sd = fields.Float(allow_none=True)
    alpha = fields.Float(allow_none=True)
    sem = fields.Float(allow_none=True)


class BlueprintStatisticsSchema(Schema):
    blueprint = fields.String()
    version = fields.Integer()
    attempts = fields.Integer()
    reliability = fields.Nested(ReliabilitySchema, allow_none=True)
    items = fields.List(fields.Nested(ItemStatisticsSchema))
    flagged = fields.List(fields.String(), metadata={"description": "mã các câu hỏi cần xem lại"})
