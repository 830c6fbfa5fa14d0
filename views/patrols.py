"""Street patrols with their encounters, the weekly grid, and the child
protection response (concerns) with its deadlines and alerts."""

import datetime as dt

from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.mongoengine import EmbeddedForm
from flask_login import current_user
from markupsafe import Markup
from wtforms import MultipleFileField

from models.archives import ChildArchive
from models.clock import local_now, local_today
from models.concerns import STAGE_LABELS, high_risk_without_open_concern, overdue_concerns
from models.loading import related
from models.patrols import rescue_call_rules, weekly_grid
from models.periods import period_label

from .base import SecureModelView, reads_its_column_only, scope_query, user_townships, year_arg
from .forms import CheckboxGroup


class EncounterForm(EmbeddedForm):
    form_ajax_refs = {"person": {"fields": ("name", "name_initials", "description"), "minimum_input_length": 0,
                                 "placeholder": "已建档人员：输入姓名"}}
    form_args = {"actions": {"widget": CheckboxGroup()}}
    form_widget_args = {"description": {"rows": 2}, "outcome": {"rows": 2}, "no_call_reason": {"rows": 2}}


@reads_its_column_only
def _encounters(view, context, model, name):
    return "；".join(str(e) for e in model.encounters or []) or "未发现"


class PatrolView(SecureModelView):
    area = "records"
    file_fields = ("photos.file", "photos.thumbnail")
    date_fields = ("patrol_date",)
    column_list = ("patrol_date", "start_time", "end_time", "township", "places", "staff", "campaign", "encounters")
    column_formatters = {"encounters": _encounters}
    column_formatters_detail = {"encounters": _encounters}
    column_formatters_export = {"encounters": _encounters}
    column_filters = ("township", "campaign", "patrol_date", "week", "staff")
    column_searchable_list = ("places", "summary", "volunteers")
    column_default_sort = ("patrol_date", True)
    column_details_exclude_list = ("version", "year", "month", "quarter", "week")
    form_columns = ("patrol_date", "start_time", "end_time", "township", "places", "staff", "volunteer_members",
                    "volunteers", "campaign",
                    "summary", "encounters", "photo_upload")
    accepts_photos = True
    form_extra_fields = {"photo_upload": MultipleFileField(
        "现场照片", description="未建档、身份不明的对象请拍照留存；只接受图片。",
        render_kw={"accept": "image/*", "capture": "environment", "multiple": True})}
    form_ajax_refs = {"staff": {"fields": ("display_name", "username"), "minimum_input_length": 0,
                                "placeholder": "输入社工姓名"},
                      "volunteer_members": {"fields": ("name", "phone"), "minimum_input_length": 0,
                                            "placeholder": "已登记的志愿者（计入志愿时数）"}}
    form_subdocuments = {"encounters": {"form_subdocuments": {None: EncounterForm()}}}
    form_args = {"encounters": {"description": Markup(
                     '已建档的流浪乞讨人员在“已建档人员”中选择；现场新发现的可先'
                     '<a href="/homelessarchive/new/" target="_blank">新建流浪乞讨人员档案</a>（新窗口，保存后回来选择），'
                     '或只填写体貌特征并拍照。')}}
    form_widget_args = {"summary": {"rows": 3}, "start_time": {"type": "time"}, "end_time": {"type": "time"}}
    create_template = "admin/patrol_create.html"
    edit_template = "admin/patrol_edit.html"

    def render(self, template, **kwargs):
        if template in (self.create_template, self.edit_template):
            kwargs.setdefault("rescue_rules", [{key: rule.get(key) for key in ("code", "minor", "health_states",
                                                                                 "action", "text")}
                                               for rule in rescue_call_rules()])
        return super().render(template, **kwargs)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            now = local_now()
            form.patrol_date.data = now.date()
            form.start_time.data = now.strftime("%H:%M")
            form.staff.data = [current_user._get_current_object()]
            townships = current_user.township_ids()
            if townships and len(townships) == 1 and hasattr(form.township, "queryset"):
                form.township.data = form.township.queryset.filter(pk=townships[0]).first()
        return form

    @expose("/weeks/")
    def weeks_view(self):
        year = year_arg()
        start = dt.date(year, 1, 1)
        end = min(dt.date(year, 12, 31), local_today() + dt.timedelta(days=6))
        if start > end:
            abort(404)
        grid = weekly_grid(start, end, user_townships())
        for week in grid:
            week["label"] = period_label("week", week["key"])
        short = sum(1 for w in grid if w["status"] == "short")
        return self.render("admin/patrol_weeks.html", grid=grid, year=year, short=short)


def _stage(view, context, model, name):
    return STAGE_LABELS.get(model.stage, "")


class ConcernView(SecureModelView):
    area = "records"
    column_list = ("discovered_at", "child", "township", "source", "description", "stage", "report_due",
                   "handle_due", "overdue_step")
    column_formatters = {"stage": _stage}
    column_filters = ("township", "stage", "source", "discovered_at", "overdue_step")
    column_searchable_list = ("description", "discovered_by", "child_description")
    column_default_sort = ("discovered_at", True)
    form_columns = ("child", "child_description", "township", "source", "source_record", "discovered_at",
                    "discovered_by", "description", "reported_to", "reported_at", "services", "closed_at", "outcome")
    form_ajax_refs = {"child": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                "placeholder": "输入儿童姓名"}}
    form_widget_args = {"description": {"rows": 3}, "outcome": {"rows": 3}, "source_record": {"readonly": True}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.discovered_at.data = local_now().replace(second=0)
            form.discovered_by.data = current_user.display_name
            if request.args.get("source") in dict(form.source.choices):
                form.source.data = request.args["source"]
            form.source_record.data = request.args.get("record", "")[:60] or None
            child_id = request.args.get("child")
            if child_id:
                child = scope_query(ChildArchive.objects(pk=child_id), ChildArchive).first() \
                    if len(child_id) == 24 else None
                if child is not None:
                    form.child.data = child
                    if hasattr(form.township, "queryset"):
                        form.township.data = child.township
        return form

    @expose("/alerts/")
    def alerts_view(self):
        townships = user_townships()
        overdue = overdue_concerns(townships)
        uncovered = related(high_risk_without_open_concern(townships).only("name", "township", "worker",
                                                                            "risk_assessed_at").limit(200))
        return self.render("admin/concern_alerts.html", overdue=overdue, uncovered=uncovered,
                           stage_labels=STAGE_LABELS)

