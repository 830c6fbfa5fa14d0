"""The audit trail, read-only: who did what to which record, field by field."""

from markupsafe import Markup, escape

from models.audit import AuditEntry
from models.sensitivity import visible_change

from .base import SecureModelView, current_role, people, scope_query


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
    if not model.collection:
        return ""
    return view.collection_labels().get(model.collection, "") or "其他"


def _actor(view, context, model, name):
    """The person by name (the names of a page's actors read once, for the whole page); the
    login name an entry keeps stands for an account that is gone or a name typed at login."""
    rows = list((context.get("data") if context is not None else None) or []) + [model]
    return people(r.actor_name for r in rows).get(model.actor_name) or model.actor_name or "系统"


def _record(view, context, model, name):
    """The record's name, a link to its page where a view shows that kind of record."""
    label = model.record_label or ""
    endpoint = view.collection_endpoints().get(model.collection)
    if not (endpoint and model.record_id and len(model.record_id) == 24) or model.action == "import":
        return label
    url = view.get_url(f"{endpoint}.details_view", id=model.record_id)
    return Markup(f'<a href="{escape(url)}">{escape(label or "查看记录")}</a>')


class AuditView(SecureModelView):
    area = "audit"
    can_view_details = True
    column_list = ("at", "actor_name", "action", "collection", "record_label", "changes", "detail", "remote_addr")
    #: the ids behind the names (of the record, of the person) are not for people to read
    column_details_list = ("at", "actor_name", "action", "collection", "record_label", "changes", "detail",
                           "remote_addr", "township")
    column_export_list = column_details_list
    column_filters = ("actor_name", "action", "collection", "record_id", "at", "township")
    column_searchable_list = ("actor_name", "record_label", "detail")
    column_formatters = {"changes": _changes, "collection": _collection, "actor_name": _actor, "record_label": _record}
    column_formatters_detail = column_formatters
    column_formatters_export = {"collection": _collection, "actor_name": _actor,
                                "changes": _changes_text}
    column_default_sort = ("at", True)
    column_labels = {
        "collection": "数据类别",
        "actor_name": "操作人",
        "record_id": "记录",
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

    def collection_endpoints(self) -> dict[str, str]:
        """Collection name -> the endpoint of the view that shows its records."""
        endpoints = {}
        for view in self.admin._views:
            model = getattr(view, "model", None)
            if model is not None and view is not self and getattr(view, "can_view_details", False):
                endpoints.setdefault(model._get_collection_name(), view.endpoint)
        return endpoints

    def get_query(self):
        return scope_query(AuditEntry.objects, AuditEntry)
