"""Reference data: townships, communities, person categories (admin-editable)."""

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
    column_list = ("code", "name", "domain", "designated", "basis")
    column_searchable_list = ("code", "name")
    column_filters = ("domain", "designated")
    column_default_sort = "sort_order"
    form_widget_args = {"definition": {"rows": 4}}
