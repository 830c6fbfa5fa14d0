"""The audit trail, read-only: who did what to which record, field by field."""

from markupsafe import Markup, escape

from models.audit import AuditEntry
from models.sensitivity import visible_change

from .base import SecureModelView, current_role


def _visible_changes(model):
    """(label, old, new) of each change, masked for a role that may not see the values
    (the trail keeps what was written: a 系统管理员 reads who changed which field when)."""
    role = current_role()
    return [(c.label or c.field, *visible_change(model.collection, c, role)) for c in model.changes]


def _changes(view, context, model, name):
    if not model.changes:
        return ""
    lines = [f"<div><b>{escape(label)}</b>：{escape(old or '（空）')} → {escape(new or '（空）')}</div>"
             for label, old, new in _visible_changes(model)]
    return Markup("".join(lines))


def _changes_text(view, context, model, name):
    return "；".join(f"{label}：{old or '（空）'} → {new or '（空）'}" for label, old, new in _visible_changes(model))


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
                                "changes": _changes_text}
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
