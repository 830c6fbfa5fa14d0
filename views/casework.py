"""Cases (个案) and group work (小组), with the qualification of each under its
indicator rule, and a phone page to record one group session with attendance."""

import datetime as dt

from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.mongoengine import EmbeddedForm
from flask_login import current_user
from markupsafe import Markup, escape

from models.casework import STAGES, GroupSession, record_group_session
from models.clock import local_today
from models.dates import parse_date
from models.errors import DomainError

from .base import SecureModelView
from .forms import DateOnlyField, LinesField, SecureForm, csrf_failed


def qualification_badge(view, context, model, name):
    met, lacking = model.qualification()
    if met:
        return Markup('<span class="badge badge-success">达标</span>')
    return Markup(f'<span class="badge badge-warning" title="{escape("；".join(lacking))}">未达标</span> '
                  f'<small class="text-muted">{escape("；".join(lacking))}</small>')


def qualification_text(view, context, model, name):
    met, lacking = model.qualification()
    return "达标" if met else "未达标：" + "；".join(lacking)


def _stage(view, context, model, name):
    return dict(STAGES).get(model.stage, "未开始")


class SessionForm(EmbeddedForm):
    form_overrides = {"session_date": DateOnlyField, "written_on": DateOnlyField}
    form_excluded_columns = ("offline_id",)  # the phone's id of a session recorded offline: nobody types it
    form_widget_args = {"content": {"rows": 3}}


class CaseView(SecureModelView):
    area = "records"
    date_fields = ("opened_on", "closed_on")
    column_list = ("title", "case_type", "client", "township", "worker", "opened_on", "stage", "session_count",
                   "total_hours", "qualified", "closed_on")
    column_labels = {"qualified": "是否达标"}
    column_formatters = {"qualified": qualification_badge, "stage": _stage}
    column_formatters_detail = {"stage": _stage, "qualified": qualification_badge}
    details_extra_columns = ("qualified",)
    column_formatters_export = {"qualified": qualification_text, "stage": _stage}
    column_filters = ("case_type", "township", "worker", "stage", "opened_on", "year", "client")
    column_searchable_list = ("title", "problem")
    column_default_sort = ("opened_on", True)
    column_details_exclude_list = ("version", "year", "month")
    form_columns = ("case_type", "client", "worker", "title", "problem", "opened_on", "services_arranged",
                    "stage_documents", "sessions", "closed_on")
    form_ajax_refs = {"client": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                 "placeholder": "输入服务对象姓名"},
                      "worker": {"fields": ("display_name", "username"), "minimum_input_length": 0,
                                 "placeholder": "输入社工姓名"}}
    form_subdocuments = {"sessions": {"form_subdocuments": {None: SessionForm()}},
                         "stage_documents": {"form_subdocuments": {None: SessionForm()}}}
    form_args = {"stage_documents": {"description": "按 接案 → 预估 → 计划 → 介入 → 评估 → 结案 的顺序填写，每个阶段一份。"},
                 "sessions": {"description": "每次服务一条：日期、工时（小时，可填 1.5）、内容。"}}
    form_widget_args = {"problem": {"rows": 3}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.worker.data = current_user._get_current_object()
            form.opened_on.data = local_today()
            if request.args.get("type") in ("consultation", "professional"):
                form.case_type.data = request.args["type"]
        return form


def _title_with_session_link(view, context, model, name):
    """The group's title, and for those who may record one, a 记录一节活动 button in its row."""
    title = escape(model.title or "")
    if not view.can_edit or model.voided:
        return title
    url = view.get_url(".session_view", id=model.pk)
    return Markup(f'{title}<a class="btn btn-sm btn-primary btn-tap ml-2 record-session" href="{escape(url)}">'
                  f'记录一节活动</a>')


class GroupSeriesView(SecureModelView):
    area = "records"
    accepts_photos = True
    date_fields = ("started_on",)
    column_list = ("title", "township", "started_on", "session_count", "min_session_hours", "total_hours", "qualified")
    column_labels = {"qualified": "是否达标"}
    column_formatters = {"qualified": qualification_badge, "title": _title_with_session_link}
    column_formatters_detail = {"qualified": qualification_badge}
    details_extra_columns = ("qualified",)
    column_formatters_export = {"qualified": qualification_text}
    column_filters = ("township", "started_on", "year")
    column_searchable_list = ("title", "goal")
    column_default_sort = ("started_on", True)
    column_details_exclude_list = ("version", "year")
    form_columns = ("title", "goal", "township", "target_group", "facilitators", "started_on", "members",
                    "member_archives", "sessions", "evaluation")
    form_overrides = {"members": LinesField}
    form_args = {"members": {"description": "每行一个姓名；已建档成员可在下一栏选择，会自动加入。"},
                 "sessions": {"description": "在手机上记录一节活动请用详情页的“记录一节活动”。"}}
    form_ajax_refs = {"member_archives": {"fields": ("name", "name_initials"), "minimum_input_length": 1,
                                          "placeholder": "输入已建档成员姓名"},
                      "facilitators": {"fields": ("display_name", "username"), "minimum_input_length": 0,
                                       "placeholder": "输入社工姓名"}}
    form_subdocuments = {"sessions": {"form_subdocuments": {None: SessionForm()}}}
    form_widget_args = {"goal": {"rows": 3}, "evaluation": {"rows": 3}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.started_on.data = local_today()
            form.facilitators.data = [current_user._get_current_object()]
        return form

    def details_links(self, model):
        links = []
        if self.can_edit:
            links.append(("记录一节活动", self.get_url(".session_view", id=model.pk)))
        return links

    @expose("/session/", methods=("GET", "POST"))
    def session_view(self):
        if not self.can_edit:
            abort(403)
        group = self.get_one(request.args.get("id", ""))
        if group is None or group.voided:
            abort(404)
        form = SecureForm(request.form if request.method == "POST" else None)
        values = {"session_date": local_today().isoformat(), "hours": "", "topic": "", "content": "",
                  "attendance": list(group.members or []), "record_version": str(group.version or 1)}
        error = None
        if request.method == "POST":
            values = {"session_date": request.form.get("session_date", ""), "hours": request.form.get("hours", ""),
                      "topic": request.form.get("topic", ""), "content": request.form.get("content", ""),
                      "attendance": request.form.getlist("attendance"),
                      "record_version": request.form.get("record_version", "")}
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。"
            else:
                try:
                    session = _session_from(values)
                    uploads = [(f.read(), f.filename) for f in request.files.getlist("photo_upload") if f and f.filename]
                    record_group_session(group, session, current_user._get_current_object(),
                                         expected_version=_version(values["record_version"], group),
                                         photos=uploads, max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
                except DomainError as exc:
                    error = exc.message
                    group.reload()
                else:
                    flash(f"已记录第 {group.session_count} 节活动（出席 {len(session.attendance)} 人）。", "success")
                    return redirect(self.get_url(".details_view", id=group.pk))
        return self.render("admin/group_session.html", group=group, form=form, values=values, error=error,
                           number=(group.session_count or 0) + 1)


def _version(raw: str, group) -> int:
    """The version of the group the form was opened on (an unreadable one: the stored one, as the edit form does)."""
    try:
        return int(raw or group.version or 1)
    except ValueError:
        return group.version or 1


def _session_from(values: dict) -> GroupSession:
    day = parse_date(values["session_date"])
    if day is None:
        raise DomainError("请填写日期（如 2026-03-05）。", field="session_date")
    try:
        hours = float(values["hours"])
    except ValueError as exc:
        raise DomainError("请填写时长（小时，如 2.5）。", field="hours") from exc
    if not values["attendance"]:
        raise DomainError("请勾选出席的成员。", field="attendance")
    return GroupSession(session_date=dt.datetime.combine(day, dt.time()), hours=hours, topic=values["topic"].strip(),
                        content=values["content"].strip(), attendance=values["attendance"])
