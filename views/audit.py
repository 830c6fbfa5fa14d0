"""The audit trail, read-only: who did what to which record, field by field."""

from markupsafe import Markup, escape

from models.audit import AuditEntry

from .base import SecureModelView


def _changes(view, context, model, name):
    if not model.changes:
        return ""
    lines = [
        f"<div><b>{escape(c.label or c.field)}</b>：{escape(c.old or '（空）')} → {escape(c.new or '（空）')}</div>"
        for c in model.changes
    ]
    return Markup("".join(lines))


def _collection(view, context, model, name):
    return view.collection_labels().get(model.collection, model.collection or "")


class AuditView(SecureModelView):
    area = "audit"
    can_view_details = True
    column_list = ("at", "actor_name", "action", "collection", "record_label", "changes", "detail", "remote_addr")
    column_filters = ("actor_name", "action", "collection", "record_id", "at", "township")
    column_searchable_list = ("actor_name", "record_label", "detail")
    column_formatters = {"changes": _changes, "collection": _collection}
    column_formatters_detail = {"changes": _changes, "collection": _collection}
    column_formatters_export = {"collection": _collection,
                                "changes": lambda v, c, m, n: "；".join(str(x) for x in m.changes)}
    column_default_sort = ("at", True)
    column_labels = {
        "collection": "数据类别",
    }
    page_size = 50

    creatable = editable = False  # the trail is written by the system, never by hand

    def collection_labels(self) -> dict[str, str]:
        """Collection name -> the menu name of the view that edits it."""
        labels = {}
        for view in self.admin._views:
            model = getattr(view, "model", None)
            if model is not None and view is not self:
                labels.setdefault(model._get_collection_name(), view.name)
        return labels

    def get_query(self):
        from .base import scope_query

        return scope_query(AuditEntry.objects, AuditEntry)
