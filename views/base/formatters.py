"""How a column's value is shown in a list, on a record's page and in an export:
the formatters by type and by column, people by name, choice labels, money, files
and photos, and the mixin that labels a view's columns from its model and shows
each value as the current user may see it (``Columns``)."""

import datetime as dt

import mongoengine
from flask import g
from flask_admin.contrib.mongoengine.typefmt import DEFAULT_FORMATTERS
from jinja2 import pass_context
from markupsafe import Markup, escape
from mongoengine.base import BaseList
from wtforms.validators import Optional

from models.display import bool_text, date_text, display_value, list_text
from models.money import FenField
from models.sensitivity import ID_NUMBER, sensitivity, visible_value
from models.users import display_names

from ..forms import DateOnlyField, YuanField
from .scoping import current_role


def format_bool(view, value, name=None):
    return bool_text(value)


def format_list(view, value, name=None):
    items = [v for v in value if v is not None]
    if items and all(isinstance(v, mongoengine.EmbeddedDocument) for v in items):
        return Markup("<br>".join(str(escape(str(v))) for v in items))  # one line per session, encounter, ...
    return list_text(items)


def format_embedded(view, value, name=None):
    """An embedded document as its own ``__str__`` (Flask-Admin shows a repr)."""
    return str(value) if value is not None else ""


def _type_formatters():
    formatters = dict(DEFAULT_FORMATTERS)
    formatters[bool] = format_bool
    formatters[dt.datetime] = lambda view, value, name=None: date_text(value)
    formatters[dt.date] = lambda view, value, name=None: date_text(value)
    formatters[list] = format_list
    formatters[BaseList] = format_list
    formatters[mongoengine.EmbeddedDocument] = format_embedded
    return formatters


TYPE_FORMATTERS = _type_formatters()


def photo_thumbnails(view, context, model, name):
    """Up to four thumbnails of a record's photos, each a link to the full picture."""
    photos = getattr(model, "photos", None) or []
    parts = []
    for photo in photos[:4]:
        if photo.thumbnail and photo.thumbnail.grid_id:
            thumb = view.get_url(".api_file_view", id=str(photo.thumbnail.grid_id))
            full = view.get_url(".api_file_view", id=str(photo.file.grid_id))
            flag = '<span class="badge badge-danger">重复使用</span>' if photo.duplicate_of else ""
            parts.append(f'<a href="{escape(full)}" target="_blank"><img class="visit-thumb" src="{escape(thumb)}" '
                         f'alt="{escape(photo.filename or "照片")}"></a>{flag}')
    more = f"<small>共 {len(photos)} 张</small>" if len(photos) > 4 else ""
    return Markup("".join(parts) + more)


def file_link(view, context, model, name):
    """A stored file as a link that opens it (through the access-checked download)."""
    proxy = getattr(model, name, None)
    if not getattr(proxy, "grid_id", None):
        return Markup('<span class="text-muted">未上传</span>')
    url = view.get_url(".api_file_view", id=str(proxy.grid_id))
    return Markup(f'<a href="{escape(url)}" target="_blank">查看文件</a>')


def reads_its_column_only(formatter):
    """Marks a formatter that reads nothing of the record but its own column (so an
    export may read only the columns' fields)."""
    formatter.reads_its_column_only = True
    return formatter


#: Columns that keep who wrote a record by login name: shown as the person's name.
PEOPLE_COLUMNS = ("created_by", "updated_by", "voided_by")


def people(logins) -> dict[str, str | None]:
    """{login name: the person's name (None for no account)} for ``logins``: read once per
    request for what the page asks first (its rows), then only for names not asked yet."""
    known = g.setdefault("people_names", {})
    missing = {login for login in logins if login and login not in known}
    if missing:
        found = display_names(missing)
        known.update({login: found.get(login) for login in missing})
    return known


def person_name(view, context, model, name):
    """A login name kept on a record as the person's name."""
    login = getattr(model, name, None)
    rows = list((context.get("data") if context is not None else None) or []) + [model]
    names = people(getattr(r, c, None) for r in rows for c in PEOPLE_COLUMNS)
    return names.get(login) or login or ""


def displayed(view, context, model, name):
    """A column shown as ``models.display`` writes it (a list of choices by their labels, money in 元)."""
    return display_value(type(model), name, getattr(model, name, None))


@reads_its_column_only
def exported(view, context, model, name):
    """A column exported as ``models.display`` writes it (money without the ¥: the column says 元)."""
    return display_value(type(model), name, getattr(model, name, None), symbol=False)


class Columns:
    """Labels, choices, formatters and form fields taken from the model; values as the user may see them."""

    def _auto_labels(self, model):
        list_formatters = dict(self.column_formatters or {})
        detail_formatters = dict(self.column_formatters_detail or {})
        export_formatters = dict(self.column_formatters_export or {})
        labels = dict(self.column_labels or {})
        choices = dict(self.column_choices or {})
        for name, field in model._fields.items():
            verbose_name = getattr(field, "verbose_name", None)
            if verbose_name and name not in labels:
                labels[name] = verbose_name
            inner_choices = getattr(getattr(field, "field", None), "choices", None)
            if isinstance(field, mongoengine.ListField) and inner_choices:
                # Flask-Admin's choice lookup cannot take a list: label each item instead.
                for group, formatter in ((list_formatters, displayed), (detail_formatters, displayed),
                                         (export_formatters, exported)):
                    group.setdefault(name, formatter)
                continue
            field_choices = getattr(field, "choices", None)
            if field_choices and name not in choices and all(isinstance(c, (tuple, list)) for c in field_choices):
                choices[name] = list(field_choices)
        labels.setdefault("id", "编号")
        for name in PEOPLE_COLUMNS:
            if name in model._fields:
                list_formatters.setdefault(name, person_name)
                detail_formatters.setdefault(name, person_name)
        self.column_labels = labels
        self.column_choices = choices
        args = dict(self.form_args or {})
        for name, label in labels.items():
            args.setdefault(name, {}).setdefault("label", label)
        overrides = dict(self.form_overrides or {})
        for name, field in model._fields.items():
            if isinstance(field, FenField):
                overrides.setdefault(name, YuanField)
                args.setdefault(name, {}).setdefault("allow_zero", field.allow_zero)
                list_formatters.setdefault(name, displayed)
                detail_formatters.setdefault(name, displayed)
                export_formatters.setdefault(name, exported)
        self.column_formatters, self.column_formatters_detail = list_formatters, detail_formatters
        self.column_formatters_export = export_formatters
        for name in self.date_fields:
            if name in model._fields:
                overrides.setdefault(name, DateOnlyField)
                args.setdefault(name, {}).setdefault("validators", [Optional()])
        self.form_overrides = overrides
        for name, field in model._fields.items():
            inner = getattr(field, "field", None)
            if isinstance(inner, mongoengine.ReferenceField) and not field.required:
                args.setdefault(name, {}).setdefault("allow_blank", True)
        self.form_args = args

    def visible(self, model, name, value, in_list=False):
        """A column's value as the current user may see it (models.sensitivity); in a
        list an ID number is masked for everyone."""
        field = model._fields.get(name)
        kind = sensitivity(field)
        if kind is None:
            return value
        return visible_value(field, value, None if in_list and kind == ID_NUMBER else current_role())

    @pass_context
    def get_list_value(self, context, model, name):
        value = self.visible(model, name, super().get_list_value(context, model, name), in_list=True)
        return "" if value is None or value == "None" else value

    @pass_context
    def get_detail_value(self, context, model, name):
        value = self.visible(model, name, super().get_detail_value(context, model, name))
        return "" if value is None or value == "None" else value
