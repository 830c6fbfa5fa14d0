"""The base of every archive view: the list, the form (custom fields, duplicate
confirmation, uploads), the file page and print, the bulk actions' entry, the export."""

import datetime as dt

from bson import ObjectId
from bson.errors import InvalidId
from flask import abort, current_app, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_form_data, get_redirect_target
from flask_login import current_user
from wtforms import BooleanField, FileField, SelectField, StringField
from wtforms.validators import Optional

from models.archives import RISK_LABELS, RISK_LEVELS, STATUS_LABELS, Archive
from models.assessments import CapabilityAssessment, RiskAssessment
from models.clock import local_now
from models.custom_fields import definitions_for
from models.files import discard_new_files, store_upload
from models.loading import collection_paused, related
from models.sensitivity import visible_value
from models.spreadsheets import INT, PERCENT, TEXT
from models.summaries import SUMMARY_LENGTH, summary_of

from ..base import EXCEL, PendingFileInput, SecureModelView, portable_regex, scope_query
from ..forms import DateOnlyField
from .file_page import KIND_ENDPOINTS, archive_sections, timeline
from .listing import (
    COLUMN_FORMATTERS,
    AgeBandFilter,
    CustomFieldFilter,
    NotVisitedFilter,
    RawChoiceFilter,
)
from .saved_filters import SavedFiltersMixin


class ArchiveBaseView(SavedFiltersMixin, SecureModelView):
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
    column_formatters = COLUMN_FORMATTERS
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
                target = "entrustment_scan" if field_name == "scan" else field_name
                store_upload(model, target, data, filename,
                             current_app.config["MAX_CONTENT_LENGTH"], images_only=target == "photo", form_field=name)

    def kept_upload_fields(self):
        return {**super().kept_upload_fields(),
                **{name: (name == "photo_upload", True) for name in self.upload_fields}}

    def discard_uploads(self, model, before):
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
        with collection_paused():
            return self.xlsx_response(related(records))

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
