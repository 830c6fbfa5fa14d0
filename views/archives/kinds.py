"""The archive views of each kind (children, elderly people, homeless people), with the
child's risk assessment and the elderly person's capability assessment."""

import datetime as dt

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.form import rules
from flask_login import current_user
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from models.archives import RISK_LABELS, RISK_LEVELS
from models.assessments import (
    ASSESSMENT_REASONS,
    DIAGNOSES,
    record_capability_assessment,
    record_risk_assessment,
    score_risk,
)
from models.clock import local_today
from models.errors import DomainError
from models.rules import get_rules

from ..forms import PlainDateField, SecureForm, csrf_failed
from .archive_view import ArchiveBaseView
from .listing import CUSTOM_FIELDS, VERSION


class AssessedArchiveView(ArchiveBaseView):
    def record_to_assess(self):
        """The archive an assessment page is for (``?id=``): 403 without edit rights, 404 if not found."""
        if not self.can_edit:
            abort(403)
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        return record


class ChildArchiveView(AssessedArchiveView):
    kind_key = "child"
    upload_fields = {"scan_upload": "上传委托监护确认书扫描件"}
    file_fields = ("entrustment_scan",)
    column_list = ("name", "sex", "age", "id_number", "township", "community", "categories", "level", "guardianship",
                   "status", "worker", "completeness", "last_visited_at", "archive_date")
    column_filters = (*ArchiveBaseView.column_filters, "guardianship", "entrustment_signed")
    column_export_list = (*ArchiveBaseView.column_export_list, "school", "guardianship", "risk_level",
                          "carer_name", "carer_phone", "entrustment_signed")
    form_create_rules = form_edit_rules = (
        VERSION, rules.Header("基本信息"),
        "name", "id_number", "sex", "birth_date", "ethnicity", "phone", "emergency_contact", "household_type",
        "household_address", "current_address", "township", "community", "categories", "worker", "archive_date",
        rules.Header("就学与健康"), "school", "grade", "boarding", "health", "disability",
        rules.Header("家庭与监护"), "father", "mother", "carer_name", "carer_id_number", "carer_phone",
        "carer_relation", "carer_health", "grandparents", "entrustment_signed", "entrustment_date", "scan_upload",
        "family_economy", "main_income", "assistance", "child_director",
        rules.Header("需求与帮扶"), "guardianship", "problems", "needs", "help_goals", "harm_details",
        rules.Header("档案状态"), "status", "status_date", "status_reason", "note",
        rules.Header("其他"), CUSTOM_FIELDS, "confirm_not_duplicate",
    )

    @expose("/risk/", methods=("GET", "POST"))
    def risk_view(self):
        """Record a risk assessment: tick the factors, see the suggested level."""
        child = self.record_to_assess()
        risk_rules = get_rules("archive_rules")["risk"]
        form = RiskForm(request.form if request.method == "POST" else None)
        if request.method == "GET":
            form.assessor.data = current_user.display_name
            form.assessed_on.data = local_today()
        chosen = request.form.getlist("factors") if request.method == "POST" else []
        error = None
        suggestion = score_risk(chosen, risk_rules) if chosen else None
        if request.method == "POST" and request.form.get("preview") is None:
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "请检查填写的内容。"
            else:
                try:
                    record_risk_assessment(child, chosen, form.final_level.data or None, form.reason.data,
                                           form.assessor.data, dt.datetime.combine(form.assessed_on.data, dt.time()),
                                           current_user._get_current_object())
                except DomainError as exc:
                    error = exc.message
                else:
                    flash("风险评估已保存，档案的风险等级已更新。", "success")
                    return redirect(self.get_url(".details_view", id=str(child.pk)))
        return self.render("admin/risk_form.html", child=child, form=form, factors=risk_rules["factors"],
                           chosen=chosen, suggestion=suggestion, error=error, risk_labels=RISK_LABELS)


class RiskForm(SecureForm):
    assessed_on = PlainDateField("评估日期", format="%Y-%m-%d", validators=[InputRequired()])
    final_level = SelectField("最终等级", choices=[("", "按建议等级"), *RISK_LEVELS], validators=[Optional()])
    reason = StringField("等级理由（与建议等级不同时必填）")
    assessor = StringField("评估人")


class ElderlyArchiveView(AssessedArchiveView):
    kind_key = "elderly"
    column_list = ("name", "sex", "age", "id_number", "township", "community", "categories", "level",
                   "living_arrangement", "status", "worker", "completeness", "last_visited_at", "archive_date")
    column_filters = (*ArchiveBaseView.column_filters, "living_arrangement", "support_mode", "capability_level")
    column_export_list = (*ArchiveBaseView.column_export_list, "living_arrangement", "support_mode",
                          "self_care_level", "capability_level", "next_assessment_due")
    form_create_rules = form_edit_rules = (
        VERSION, rules.Header("基本信息"),
        "name", "id_number", "sex", "birth_date", "ethnicity", "phone", "emergency_contact", "household_type",
        "household_address", "current_address", "township", "community", "categories", "worker", "archive_date",
        rules.Header("居住与供养"), "living_arrangement", "children_whereabouts", "support_mode", "institution",
        "income_sources", "medical_insurance", "diseases", "self_care_met",
        rules.Header("档案状态"), "status", "status_date", "status_reason", "note",
        rules.Header("其他"), CUSTOM_FIELDS, "confirm_not_duplicate",
    )

    @expose("/capability/", methods=("GET", "POST"))
    def capability_view(self):
        """Record a GB/T 42195-2022 capability assessment (26 items)."""
        person = self.record_to_assess()
        standard = get_rules("capability_standard")
        form = CapabilityForm(request.form if request.method == "POST" else None)
        if request.method == "GET":
            form.assessed_on.data = local_today()
            form.assessor_one.data = current_user.display_name
        scores = {}
        error = None
        if request.method == "POST":
            unreadable = []
            for dimension in standard["dimensions"]:
                for item in dimension["items"]:
                    raw = request.form.get(f"item_{item['code']}")
                    if raw not in (None, ""):
                        try:
                            scores[item["code"]] = int(raw)
                        except ValueError:
                            unreadable.append(item["name"])
            if unreadable:
                error = f"以下项目的得分不是整数：{'、'.join(unreadable)}。"
            elif not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "请检查填写的内容。"
            else:
                try:
                    record_capability_assessment(
                        person, scores, assessed_on=dt.datetime.combine(form.assessed_on.data, dt.time()),
                        reason=form.reason.data, assessor_one=form.assessor_one.data,
                        assessor_two=form.assessor_two.data, coma=form.coma.data, diagnosis=form.diagnosis.data,
                        care_risk_events=form.care_risk_events.data or 0, actor=current_user._get_current_object())
                except DomainError as exc:
                    error = exc.message
                else:
                    flash("能力评估已保存，档案的能力等级已更新。", "success")
                    return redirect(self.get_url(".details_view", id=str(person.pk)))
        return self.render("admin/capability_form.html", person=person, form=form, standard=standard,
                           scores=scores, error=error)


class CapabilityForm(SecureForm):
    assessed_on = PlainDateField("评估日期", format="%Y-%m-%d", validators=[InputRequired()])
    reason = SelectField("评估原因", choices=list(ASSESSMENT_REASONS))
    coma = BooleanField("昏迷")
    diagnosis = SelectField("痴呆或精神障碍诊断", choices=list(DIAGNOSES))
    care_risk_events = IntegerField("近30天照护风险事件次数（跌倒、噎食、自杀自伤、走失）", default=0,
                                    validators=[Optional()])
    assessor_one = StringField("评估员一")
    assessor_two = StringField("评估员二")


class HomelessArchiveView(ArchiveBaseView):
    kind_key = "homeless"
    upload_fields = {"photo_upload": "上传照片"}
    file_fields = ("photo",)
    column_list = ("name", "sex", "age", "id_number", "township", "found_place", "found_at", "health_state",
                   "rescue_system_entered", "status", "worker", "completeness", "archive_date")
    column_filters = (*ArchiveBaseView.column_filters, "origin", "health_state", "rescue_system_entered", "anonymous")
    column_export_list = (*ArchiveBaseView.column_export_list, "anonymous", "description", "found_at", "found_place",
                          "origin", "health_state", "rescue_system_entered", "rescue_system_number")
    form_create_rules = form_edit_rules = (
        VERSION, rules.Header("身份"),
        "anonymous", "name", "id_number", "sex", "birth_date", "ethnicity", "phone", "description", "photo_upload",
        "household_type", "emergency_contact",
        rules.Header("发现与救助"), "found_at", "found_place", "township", "community", "categories", "worker",
        "origin", "origin_detail", "household_address", "current_address", "family_contact", "health_state",
        "begging_cause", "belongings", "rescue_system_entered", "rescue_system_number", "archive_date",
        rules.Header("档案状态"), "status", "status_date", "status_reason", "note",
        rules.Header("其他"), CUSTOM_FIELDS, "confirm_not_duplicate",
    )
