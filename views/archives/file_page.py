"""The person's file on one page: the archive as labelled sections, each value as the
role may see it, and the timeline of what happened to the person."""


from flask_login import current_user

from models.archives import RISK_LABELS
from models.audit import ACTION_LABELS
from models.display import display_value
from models.sensitivity import sensitivity, visible_value
from models.timeline import person_events
from models.users import display_names

from ..links import details_url

KIND_ENDPOINTS = {"child": "childarchive", "elderly": "elderlyarchive", "homeless": "homelessarchive"}


def archive_sections(record, role: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The archive as labelled sections for the detail and print pages, each value
    as ``role`` may see it (models.sensitivity)."""

    def value(name):
        field = record._fields.get(name)
        raw = getattr(record, name, None)
        if sensitivity(field) and raw not in (None, "", []):
            return str(visible_value(field, raw if isinstance(raw, str) else str(raw), role))
        return display_value(type(record), name, raw)

    def section(title, names):
        rows = []
        for name in names:
            if name not in record._fields:
                continue
            rows.append((record._fields[name].verbose_name or name, value(name)))
        return (title, rows)

    basics = section("基本信息", ["name", "sex", "birth_date", "ethnicity", "id_number", "phone", "household_type",
                               "household_address", "current_address", "township", "community", "categories",
                               "worker", "archive_date", "status", "status_date", "status_reason",
                               "emergency_contact", "note"])
    basics[1].insert(3, ("年龄", "" if record.age is None else f"{record.age}岁"))
    sections = [basics]
    kind = record.kind_key
    if kind == "child":
        sections += [
            section("就学与健康", ["school", "grade", "boarding", "health", "disability"]),
            section("家庭与监护", ["father", "mother", "carer_name", "carer_id_number", "carer_phone", "carer_relation",
                              "carer_health", "grandparents", "entrustment_signed", "entrustment_date",
                              "family_economy", "main_income", "assistance", "child_director"]),
            section("评估与帮扶", ["guardianship", "risk_level", "risk_assessed_at", "problems", "needs", "help_goals",
                              "harm_details"]),
        ]
    elif kind == "elderly":
        sections += [
            section("居住与供养", ["living_arrangement", "children_whereabouts", "support_mode", "institution",
                              "income_sources", "medical_insurance", "diseases"]),
            section("自理与能力", ["self_care_met", "self_care_level", "capability_level", "capability_assessed_at",
                              "next_assessment_due"]),
        ]
    elif kind == "homeless":
        sections += [
            section("发现与身份", ["anonymous", "description", "found_at", "found_place", "origin", "origin_detail",
                              "family_contact", "health_state", "begging_cause", "belongings"]),
            section("救助信息", ["rescue_system_entered", "rescue_system_number"]),
        ]
    sections.append(("档案完整性", [("完整度", f"{record.completeness or 0}%"),
                                 ("缺项", "、".join(record.missing_items or []) or "无")]))
    return sections


def timeline(record, summary: dict, risk_assessments=(), capability_assessments=()) -> list[dict]:
    """What happened to this person, newest first: the archive's latest changes and the
    latest visits from its summary, assessments, and the records of every other kind."""
    change_log = summary.get("change_log") or []
    events = [{"at": line["at"], "kind": "档案" + ACTION_LABELS.get(line["action"], line["action"]),
               "text": line.get("text") or "", "who": line.get("who")} for line in change_log]
    if not change_log and record.created_at:  # written before archives kept their history, or generated
        who = display_names([record.created_by]).get(record.created_by, record.created_by)  # the person
        events.append({"at": record.created_at, "kind": "档案新建", "text": "", "who": who})
    for assessment in risk_assessments:
        events.append({"at": assessment.assessed_on, "kind": "风险评估",
                       "text": f"{RISK_LABELS.get(assessment.final_level)}，分值 {assessment.score}",
                       "who": assessment.assessor})
    for assessment in capability_assessments:
        events.append({"at": assessment.assessed_on, "kind": "能力评估",
                       "text": f"{assessment.level}（{assessment.total}分）",
                       "who": f"{assessment.assessor_one}、{assessment.assessor_two}"})
    role = current_user.role
    for event in person_events(record.pk, summary):
        if event.get("field") and event.get("document"):
            event["text"] = visible_value(event["document"]._fields.get(event["field"]), event["text"], role)
        events.append({**event, "url": details_url(event["document"], event["record_id"])})
    events.sort(key=lambda e: e["at"], reverse=True)
    return events
