"""一人一档 views: one grid for all archives and one per kind, the whole file
on one page, assessments, bulk actions, Excel import and export, print."""

import datetime as dt
from urllib.parse import parse_qsl

from bson import ObjectId
from bson.errors import InvalidId
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import rules
from flask_admin.helpers import get_form_data, get_redirect_target
from flask_login import current_user
from markupsafe import Markup, escape
from mongoengine import errors as mongoengine_errors
from wtforms import BooleanField, FileField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from models.archive_operations import assign_worker, bulk_selection, change_status
from models.archives import (
    RISK_LABELS,
    RISK_LEVELS,
    STATUS_LABELS,
    STATUSES,
    Archive,
)
from models.assessments import (
    ASSESSMENT_REASONS,
    DIAGNOSES,
    CapabilityAssessment,
    RiskAssessment,
    record_capability_assessment,
    record_risk_assessment,
    score_risk,
)
from models.audit import ACTION_LABELS
from models.clock import local_now, local_today
from models.custom_fields import definitions_for
from models.errors import DomainError
from models.rules import get_rules
from models.saved_filters import filter_query, remove_filter, save_filter, saved_filters
from models.sensitivity import sensitivity, visible_value
from models.spreadsheets import INT, PERCENT, TEXT
from models.summaries import SUMMARY_LENGTH, summary_of
from models.timeline import person_events
from models.users import User, display_names
from models.visits import not_visited_filter

from .base import (
    EXCEL,
    SecureModelView,
    me_filters,
    portable_regex,
    scope_query,
    user_townships,
)
from .forms import DateOnlyField, HiddenFieldRule, PlainDateField, SecureForm, csrf_failed
from .uploads import PendingFileInput

AGE_BANDS = (("0-5", "0–5岁"), ("6-15", "6–15岁"), ("16-17", "16–17岁"), ("18-59", "18–59岁"),
             ("60-79", "60–79岁"), ("80-150", "80岁及以上"))


# ---------------------------------------------------------------- filters


class AgeBandFilter(me_filters.BaseMongoEngineFilter):
    def __init__(self):
        super().__init__("birth_date", "年龄", options=AGE_BANDS)

    def apply(self, query, value):
        low, high = (int(x) for x in value.split("-"))
        today = local_today()
        latest_birth = _years_before(today, low)
        earliest_birth = _years_before(today, high + 1) + dt.timedelta(days=1)
        return query.filter(birth_date__gte=dt.datetime.combine(earliest_birth, dt.time()),
                            birth_date__lte=dt.datetime.combine(latest_birth, dt.time()))

    def operation(self):
        return "在"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class NotVisitedFilter(me_filters.BaseMongoEngineFilter):
    """本期未探访: no counted home visit in the current week, month, quarter or year (the visit marks)."""

    def __init__(self):
        super().__init__("visited_periods", "本期未探访", options=NOT_VISITED_OPTIONS)

    def apply(self, query, value):
        return query.filter(__raw__=not_visited_filter(value))

    def operation(self):
        return "为"


NOT_VISITED_OPTIONS = (("week", "本周未入户探访"), ("month", "本月未入户探访"), ("quarter", "本季度未入户探访"),
                       ("year", "本年未入户探访"))


class RawChoiceFilter(me_filters.BaseMongoEngineFilter):
    """Equality on a field that only some kinds of archive have (queried raw)."""

    def apply(self, query, value):
        return query.filter(__raw__={self.column: value})

    def operation(self):
        return "等于"


class CustomFieldFilter(me_filters.BaseMongoEngineFilter):
    """One filter over every choice and yes/no custom field: '字段：值'."""

    def __init__(self, kind_key):
        super().__init__("custom", "自定义字段", options=self._options)
        self.kind_key = kind_key

    def _options(self):
        from flask import has_request_context

        if not has_request_context():
            return []
        options = []
        for definition in definitions_for(self.kind_key):
            if definition.kind == "choice":
                options += [(f"{definition.key}::{c}", f"{definition.label}：{c}") for c in definition.choices]
            elif definition.kind == "bool":
                options += [(f"{definition.key}::是", f"{definition.label}：是"),
                            (f"{definition.key}::否", f"{definition.label}：否")]
        return options

    def apply(self, query, value):
        key, _, text = value.partition("::")
        if not key.startswith("f_"):
            return query
        stored = {"是": True, "否": False}.get(text, text) if text in ("是", "否") else text
        return query.filter(__raw__={f"custom.{key}": stored})

    def operation(self):
        return "为"


class CustomFieldsRule(rules.Macro):
    """Renders the admin-defined fields (``cf_*``), whatever they are today."""

    def __init__(self):
        super().__init__("lib.render_field")

    @property
    def visible_fields(self):
        return []

    def __call__(self, form, form_opts=None, field_args=None):
        html = []
        for name, field in form._fields.items():
            if name.startswith("cf_"):
                html.append(super().__call__(form, form_opts, {"form": form, "field": field, "kwargs": {}}))
        return Markup("".join(str(h) for h in html))


CUSTOM_FIELDS = CustomFieldsRule()


VERSION = HiddenFieldRule("record_version")


# ---------------------------------------------------------------- formatters


def _id_list(view, context, model, name):
    return model.masked_id


def _level(view, context, model, name):
    risk = getattr(model, "risk_level", None)
    if risk:
        css = {"1": "danger", "2": "warning", "3": "info"}.get(risk, "secondary")
        return Markup(f'<span class="badge badge-{css}">{escape(RISK_LABELS[risk])}</span>')
    return getattr(model, "capability_level", None) or ""


def _kind(view, context, model, name):
    return model.kind_label


def _age(view, context, model, name):
    return "" if model.age is None else f"{model.age}岁"


def _completeness(view, context, model, name):
    css = "success" if model.complete else "warning"
    title = "缺：" + "、".join(model.missing_items or []) if model.missing_items else "完整"
    return Markup(f'<span class="badge badge-{css}" title="{escape(title)}">{model.completeness or 0}%</span>')


def _last_visit(view, context, model, name):
    if not model.last_visited_at:
        return Markup('<span class="text-muted">无</span>')
    days = (local_today() - model.last_visited_at.date()).days
    return Markup(f'<span title="最近一次计入的入户探访，{days} 天前">{model.last_visited_at:%Y-%m-%d}</span>')


def _name_link(view, context, model, name):
    url = view.get_url(".details_view", id=str(model.pk))
    return Markup(f'<a href="{escape(url)}">{escape(model.name)}</a>')


# ---------------------------------------------------------------- the base of archive views


class ArchiveBaseView(SecureModelView):
    area = "archives"
    kind_key = "all"
    export_types = [EXCEL, "csv"]
    list_template = "admin/archive_list.html"
    details_template = "admin/archive_details.html"
    column_list = ("name", "sex", "age", "id_number", "township", "community", "categories", "level", "status",
                   "worker", "completeness", "last_visited_at", "archive_date")
    column_labels = {"age": "年龄", "level": "风险/能力等级", "kind": "类型"}
    column_sortable_list = ("name", "birth_date", "archive_date", "completeness", "status", "township",
                            "last_visited_at")
    column_default_sort = ("archive_date", True)
    column_searchable_list = ("name", "id_number", "phone")
    column_filters = ("township", "community", "categories", "status", "worker", "complete", "archive_date")
    column_formatters = {"id_number": _id_list, "level": _level, "kind": _kind, "age": _age,
                         "completeness": _completeness, "name": _name_link, "last_visited_at": _last_visit}
    column_export_list = ("name", "sex", "birth_date", "age", "id_number", "phone", "township", "community",
                          "categories", "status", "worker", "current_address", "completeness", "missing_items",
                          "archive_date")
    form_excluded_columns = (*SecureModelView.bookkeeping_columns, "_cls", "name_initials", "name_pinyin", "completeness",
                             "visited_periods", "last_visited_at",
                             "complete", "missing_items", "custom", "risk_level", "risk_assessed_at",
                             "capability_level", "capability_assessed_at", "next_assessment_due",
                             "self_care_level", "entrustment_scan", "photo")
    form_ajax_refs = {
        "community": {"fields": ("name", "code"), "placeholder": "输入社区/村委名称", "minimum_input_length": 0},
        "worker": {"fields": ("display_name", "username"), "placeholder": "输入社工姓名", "minimum_input_length": 0},
    }
    form_widget_args = {f: {"rows": 3} for f in ("note", "problems", "needs", "help_goals", "family_economy",
                                                  "harm_details", "diseases", "description", "begging_cause")}
    non_model_fields = ("record_version", "csrf_token", "confirm_not_duplicate", "scan_upload", "photo_upload")
    date_fields = ("birth_date", "archive_date", "status_date", "entrustment_date")
    upload_fields: dict[str, str] = {}

    def get_filters(self):
        filters = list(super().get_filters() or [])
        filters.append(AgeBandFilter())
        filters.append(NotVisitedFilter())
        filters.append(CustomFieldFilter(self.kind_key))
        if self.kind_key in ("all", "child"):
            filters.append(RawChoiceFilter("risk_level", "风险等级", options=RISK_LEVELS))
        return filters

    def get_filter_arg(self, index, flt):
        if isinstance(flt, AgeBandFilter):
            return "age_band"
        if isinstance(flt, NotVisitedFilter):
            return "not_visited"
        if isinstance(flt, CustomFieldFilter):
            return "custom_field"
        if isinstance(flt, RawChoiceFilter):
            return f"{flt.column}_equals"
        return super().get_filter_arg(index, flt)

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, CustomFieldFilter):
                    item["options"] = flt.get_options(self) or None
        return groups

    def search_conditions(self, term):
        conditions = super().search_conditions(term)
        compact = term.replace(" ", "").lower()
        if compact.isascii() and compact.isalpha():
            conditions.append({"name_initials": {"$regex": "^" + compact, "$options": "i"}})
            conditions.append({"name_pinyin": portable_regex(compact)})
        return conditions

    def search_placeholder(self):
        return "姓名、拼音首字母（如 zs）、身份证号、电话"

    # -- form: custom fields, duplicate confirmation, uploads --------------

    def _extend_form(self, form_class):
        extra = {"confirm_not_duplicate": BooleanField(
            "确认不是重复档案", description="已有同名、同出生日期、同街道的档案时，核对后勾选才能保存。")}
        for definition in definitions_for(self.kind_key):
            label = definition.label + ("（必填）" if definition.required else "")
            name = f"cf_{definition.key}"
            if definition.kind == "number":
                extra[name] = StringField(label, validators=[Optional()])
            elif definition.kind == "date":
                extra[name] = DateOnlyField(label, validators=[Optional()])
            elif definition.kind == "choice":
                extra[name] = SelectField(label, choices=[("", "—")] + [(c, c) for c in definition.choices],
                                          validators=[Optional()])
            elif definition.kind == "bool":
                extra[name] = SelectField(label, choices=[("", "—"), ("是", "是"), ("否", "否")])
            else:
                extra[name] = StringField(label)
        for name, label in self.upload_fields.items():
            accept = "image/*" if name == "photo_upload" else "image/*,.pdf"  # a person's photo: pictures only
            extra[name] = FileField(label, render_kw={"accept": accept, "capture": "environment"},
                                    widget=PendingFileInput())
        return type(form_class.__name__, (form_class,), extra)

    def create_form(self, obj=None):
        form = self._extend_form(self._create_form_class)(get_form_data(), obj=obj)
        form._validated_ruleset = True  # keep csrf, custom and upload fields that the rules lay out
        self._limit_township_choices(form)
        return form

    def edit_form(self, obj=None):
        form = self._extend_form(self._edit_form_class)(get_form_data(), obj=obj)
        form._validated_ruleset = True
        self._limit_township_choices(form)
        if request.method == "GET" and obj is not None:
            for definition in definitions_for(self.kind_key):
                value = (obj.custom or {}).get(definition.key)
                field = form[f"cf_{definition.key}"]
                if value is not None:
                    if definition.kind == "bool":
                        field.data = "是" if value else "否"
                    elif definition.kind == "date":
                        field.data = dt.date.fromisoformat(value)
                    else:
                        field.data = str(value)
        return form

    def populate(self, form, model):
        skip = set(self.non_model_fields)
        for name, field in form._fields.items():
            if name not in skip and not name.startswith("cf_"):
                field.populate_obj(model, name)
        custom = dict(model.custom or {})
        for definition in definitions_for(self.kind_key):
            raw = form[f"cf_{definition.key}"].data
            if isinstance(raw, dt.date):
                raw = raw.strftime("%Y-%m-%d")
            value = definition.clean_value(raw)
            if value is None:
                custom.pop(definition.key, None)
            else:
                custom[definition.key] = value
        model.custom = custom

    def on_model_change(self, form, model, is_created):
        # the duplicate-person check (models.archives) runs when the record is saved
        model.saved_by = current_user._get_current_object()
        model.confirm_not_duplicate = bool(form.confirm_not_duplicate.data)
        for name, field_name in ((n, n.replace("_upload", "")) for n in self.upload_fields):
            for data, filename in self.form_files(form, name)[-1:]:
                from models.files import store_upload

                target = "entrustment_scan" if field_name == "scan" else field_name
                store_upload(model, target, data, filename,
                             current_app.config["MAX_CONTENT_LENGTH"], images_only=target == "photo", form_field=name)

    def kept_upload_fields(self):
        return {**super().kept_upload_fields(),
                **{name: (name == "photo_upload", True) for name in self.upload_fields}}

    def discard_uploads(self, model, before):
        from models.files import discard_new_files

        discard_new_files(model, before)

    # -- details: the whole file on one page --------------------------------

    @expose("/details/")
    def details_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        return self.render("admin/archive_details.html", **self.file_context(record),
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def file_context(self, record) -> dict:
        role = current_user.role
        sections = archive_sections(record, role)
        custom = [(d.label, d.display((record.custom or {}).get(d.key))) for d in definitions_for(record.kind_key)]
        risk = list(RiskAssessment.objects(person=record.pk, voided=False).order_by("-assessed_on")) \
            if record.kind_key == "child" else []
        capability = list(CapabilityAssessment.objects(person=record.pk, voided=False).order_by("-assessed_on")) \
            if record.kind_key == "elderly" else []
        summary = summary_of(record.pk)
        return {"record": record, "model": record, "sections": sections, "custom_values": custom,
                "risk_assessments": risk, "capability_assessments": capability,
                "timeline": timeline(record, summary, risk, capability),
                "visits_shown": len(summary.get("recent_visits") or []), "summary_length": SUMMARY_LENGTH,
                "full_history_url": url_for("audit.index_view", flt0_record_id_equals=str(record.pk))
                if current_user.can("audit", "read") else None, "id_display": visible_value(record._fields["id_number"], record.id_number, role) or "",
                "risk_labels": RISK_LABELS, "kind_endpoint": KIND_ENDPOINTS.get(record.kind_key, "archive")}

    @expose("/print/")
    def print_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        return self.render("admin/archive_print.html", **self.file_context(record), printed_at=local_now())

    # -- saved filters (常用筛选) -------------------------------------------------

    @expose("/saved-filters/", methods=("POST",))
    def save_filter_view(self):
        """Keep the list's current filters under a name (the page posts its own address)."""
        form = SecureForm(request.form)
        pairs = parse_qsl(request.form.get("query", ""), keep_blank_values=False)
        back = self.get_url(".index_view") + ("?" + filter_query(pairs) if filter_query(pairs) else "")
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
            return redirect(back)
        try:
            saved = save_filter(current_user._get_current_object(), self.endpoint, request.form.get("name", ""), pairs)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"已保存常用筛选“{saved.name}”，以后可在“常用筛选”中直接打开。", "success")
        return redirect(back)

    @expose("/saved-filters/remove/", methods=("POST",))
    def remove_filter_view(self):
        form = SecureForm(request.form)
        if not form.validate():
            flash(form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。", "error")
        else:
            try:
                removed = remove_filter(current_user._get_current_object(), request.form.get("id", ""))
            except (DomainError, InvalidId, mongoengine_errors.ValidationError):
                flash("该常用筛选不存在或已删除。", "error")
            else:
                flash(f"已删除常用筛选“{removed.name}”。", "success")
        return redirect(self.get_url(".index_view"))

    def render(self, template, **kwargs):
        if template == self.list_template and current_user.is_authenticated:
            kwargs.setdefault("saved_filters", saved_filters(current_user, self.endpoint))
            kwargs.setdefault("current_filters", filter_query(request.args.items(multi=True)))
            kwargs.setdefault("saved_filter_form", SecureForm())
        return super().render(template, **kwargs)

    # -- bulk actions ---------------------------------------------------------

    def is_action_allowed(self, name):
        if name in ("assign", "change_status"):
            return self.can_edit
        if name == "export_selected":
            return self.can_export
        return super().is_action_allowed(name)

    @action("assign", "分派责任社工", None)
    def action_assign(self, ids):
        return redirect(url_for("archive.bulk_view", op="assign", ids=",".join(ids), url=get_redirect_target()))

    @action("change_status", "变更档案状态", None)
    def action_status(self, ids):
        return redirect(url_for("archive.bulk_view", op="status", ids=",".join(ids), url=get_redirect_target()))

    @action("export_selected", "导出所选（Excel）", None)
    def action_export(self, ids):
        object_ids = []
        for pk in ids:
            try:
                object_ids.append(ObjectId(pk))
            except InvalidId:
                continue
        records = scope_query(Archive.objects(pk__in=object_ids), Archive)
        if self.export_only_fields():
            records = records.only(*self.export_only_fields())
        records = records.select_related()
        return self.xlsx_response(records)

    # -- export -------------------------------------------------------------------

    def get_export_value(self, model, name):
        if name == "id_number":
            return self.visible(model, name, model.id_number) or ""
        if name == "age":
            return model.age if model.age is not None else ""
        if name == "missing_items":
            return "、".join(model.missing_items or [])
        if name == "status":
            return STATUS_LABELS.get(model.status, model.status)
        return super().get_export_value(model, name)

    export_column_fields = {"age": ("birth_date",)}

    def export_columns(self):
        """The listed columns and the admin's own fields (read once per export)."""
        self._custom_definitions = {d.key: d for d in definitions_for(self.kind_key)}
        return [*self._export_columns, *((f"cf:{d.key}", d.label) for d in self._custom_definitions.values())]

    def export_kind(self, name):
        if name == "age":
            return INT
        if name == "completeness":
            return PERCENT
        return TEXT if name.startswith("cf:") else super().export_kind(name)

    def export_cell(self, model, name, kind):
        if name.startswith("cf:"):
            definition = self._custom_definitions[name[3:]]
            return definition.display((model.custom or {}).get(definition.key))
        if name == "completeness":
            return (model.completeness or 0) / 100
        return super().export_cell(model, name, kind)


KIND_ENDPOINTS = {"child": "childarchive", "elderly": "elderlyarchive", "homeless": "homelessarchive"}


def archive_sections(record, role: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The archive as labelled sections for the detail and print pages, each value
    as ``role`` may see it (models.sensitivity)."""

    def value(name):
        field = record._fields.get(name)
        raw = getattr(record, name, None)
        if raw is None or raw == "" or raw == []:
            return ""
        if sensitivity(field):
            return str(visible_value(field, raw if isinstance(raw, str) else str(raw), role))
        choices = getattr(field, "choices", None) or getattr(getattr(field, "field", None), "choices", None)
        if isinstance(raw, list):
            labels = dict(choices) if choices else {}
            return "、".join(labels.get(v, str(v)) for v in raw)
        if choices:
            return dict(choices).get(raw, raw)
        if isinstance(raw, bool):
            return "是" if raw else "否"
        if isinstance(raw, dt.datetime):
            return raw.strftime("%Y-%m-%d") if not (raw.hour or raw.minute) else raw.strftime("%Y-%m-%d %H:%M")
        return str(raw)

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
        events.append({**event, "url": url_for(f"{event['endpoint']}.details_view", id=event["record_id"])})
    events.sort(key=lambda e: e["at"], reverse=True)
    return events


# ---------------------------------------------------------------- concrete views


class AllArchivesView(ArchiveBaseView):
    column_list = ("name", "kind", "sex", "age", "id_number", "township", "community", "categories", "level",
                   "status", "worker", "completeness", "last_visited_at", "archive_date")

    creatable = False  # an archive is created as a child, an elderly or a homeless person's archive

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        endpoint = KIND_ENDPOINTS[record.kind_key]
        return redirect(url_for(f"{endpoint}.edit_view", id=str(record.pk), url=request.args.get("url")))

    @expose("/bulk/", methods=("GET", "POST"))
    def bulk_view(self):
        """Assign a worker or change the status of several archives at once."""
        if not self.can_edit:
            abort(403)
        op = request.values.get("op")
        if op not in ("assign", "status"):
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        ids, cut = bulk_selection([i for i in (request.values.get("ids") or "").split(",") if i])
        records = [r for r in (self.get_one(pk) for pk in ids) if r is not None]
        form = BulkForm(request.form if request.method == "POST" else None)
        workers = scope_query(User.objects(role__in=["staff", "coordinator"], active=True, voided=False), User)
        townships = user_townships()
        if townships is not None:
            workers = [w for w in workers if not w.township_ids() or set(w.township_ids()) & set(townships)]
        form.worker.choices = [("", "—")] + [(str(w.pk), str(w)) for w in workers]
        error = None
        if request.method == "POST":
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "请检查填写的内容。"
            else:
                try:
                    outcome = apply_bulk(records, op, form, current_user._get_current_object())
                except DomainError as exc:
                    error = exc.message
                else:
                    flash(outcome.summary() + (cut or ""), "warning" if outcome.refused or cut else "success")
                    return redirect(return_url)
        return self.render("admin/archive_bulk.html", op=op, form=form, records=records, error=error, cut=cut,
                           ids=",".join(ids), return_url=return_url)


class BulkForm(SecureForm):
    worker = SelectField("责任社工", choices=[], validators=[Optional()])
    status = SelectField("档案状态", choices=[("", "—"), *STATUSES], validators=[Optional()])
    status_date = PlainDateField("状态日期", validators=[Optional()], format="%Y-%m-%d")
    reason = StringField("原因")


def apply_bulk(records, op, form, actor):
    """Read the bulk form and run the operation it names."""
    if op == "assign":
        worker = User.objects(pk=form.worker.data).first() if form.worker.data else None
        if form.worker.data and worker is None:
            raise DomainError("所选社工不存在。")
        return assign_worker(records, worker, actor)
    return change_status(records, form.status.data, form.status_date.data or local_today(), form.reason.data, actor)


class ChildArchiveView(ArchiveBaseView):
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
        if not self.can_edit:
            abort(403)
        child = self.get_one(request.args.get("id", ""))
        if child is None:
            abort(404)
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


class ElderlyArchiveView(ArchiveBaseView):
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
        if not self.can_edit:
            abort(403)
        person = self.get_one(request.args.get("id", ""))
        if person is None:
            abort(404)
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
