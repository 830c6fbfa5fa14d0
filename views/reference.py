"""Reference data: townships, communities, person categories (admin-editable)."""

from flask import flash

from models.recompute_jobs import job_of_save, started_message
from models.rule_tables import rule_tables
from models.rules import forget_cached_rules

from .base import SecureModelView


class TownshipView(SecureModelView):
    area = "reference"
    column_list = ("code", "name", "kind", "note", "sort_order")
    column_searchable_list = ("code", "name")
    column_default_sort = "sort_order"


class CommunityView(SecureModelView):
    area = "reference"
    column_list = ("township", "code", "name", "kind")
    column_searchable_list = ("code", "name")
    column_filters = ("township", "kind")
    form_ajax_refs = None


class CategoryView(SecureModelView):
    area = "reference"
    code_columns = ("code",)
    column_list = ("code", "name", "domain", "designated", "basis")
    column_searchable_list = ("code", "name")
    column_filters = ("domain", "designated")
    column_default_sort = "sort_order"
    form_widget_args = {"definition": {"rows": 4}}


class ThemeTagView(SecureModelView):
    area = "reference"
    code_columns = ("code",)
    column_list = ("code", "name", "kind", "sort_order")
    column_searchable_list = ("code", "name")
    column_filters = ("kind",)
    column_default_sort = "sort_order"


class CustomFieldView(SecureModelView):
    area = "reference"
    code_columns = ("key",)
    column_list = ("label", "archive_kind", "kind", "required", "choices_text", "sort_order", "active")
    column_filters = ("archive_kind", "kind", "active")
    form_columns = ("label", "archive_kind", "kind", "required", "choices_text", "sort_order", "active")
    form_widget_args = {"choices_text": {"rows": 4}}


class RuleSetView(SecureModelView):
    area = "reference"
    column_list = ("key", "note", "updated_by", "updated_at")
    column_labels = {"updated_by": "修改人", "updated_at": "修改时间"}
    form_columns = ("content", "note")
    form_widget_args = {"content": {"rows": 30, "style": "font-family: monospace; font-size: 13px"}}

    creatable = False
    details_template = "admin/rule_details.html"

    def sections(self, model):
        """The rules as tables with Chinese headings (the JSON is only in the edit form)."""
        return rule_tables(model)

    def after_model_change(self, form, model, is_created):
        forget_cached_rules()
        job = job_of_save(model)
        if job is not None:  # a long recomputation runs in the background: say so
            flash(started_message(job), "info")
