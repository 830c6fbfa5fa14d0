"""The one secure base for every admin view.

It holds login and role checks, township scoping, CSRF, and the fixes that
Flask-Admin 2.2's mongoengine backend needs: a working ajax reference loader,
portable (FerretDB-safe) regex search and filters, no search on reference
fields, batched dereferencing in lists (no query per row), Chinese labels and
choice labels, CSV export with a UTF-8 BOM and a Chinese file name, and
access-checked GridFS downloads. Every change goes through ``models.services``
so that the version check and the audit trail always happen.
"""

import csv
import datetime as dt
import functools
import io
import mimetypes
import re
from urllib.parse import quote

import gridfs
import mongoengine
import wtforms.fields
from bson import ObjectId
from bson.errors import InvalidId
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.mongoengine import ModelView
from flask_admin.contrib.mongoengine import filters as me_filters
from flask_admin.contrib.mongoengine.ajax import QueryAjaxModelLoader
from flask_admin.contrib.mongoengine.form import (
    CustomModelConverter,
    ModelSelectField,
    ModelSelectMultipleField,
)
from flask_admin.helpers import get_redirect_target
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape
from mongoengine.connection import get_db
from mongoengine.dereference import DeReference
from wtforms import FileField, HiddenField, MultipleFileField, SelectField
from wtforms.validators import Optional, StopValidation

from models.audit import write_audit
from models.base import WHOLE_RESULT, by_id, placed_townships, server_scans_collections
from models.clock import local_now, local_today
from models.errors import DomainError
from models.files import base_name, image_type_of
from models.inputs import DATE as INPUT_DATE
from models.inputs import TEXT as INPUT_TEXT
from models.inputs import input_kind, normalise, plain
from models.money import FenField, format_yuan, yuan_decimal
from models.named_lists import named_list
from models.sensitivity import ID_NUMBER, search_condition, sensitivity, visible_value
from models.services import create_record, restore_record, snapshot, update_record, void_record
from models.spreadsheets import (
    DATE,
    DATETIME,
    INT,
    NUMBER,
    TEXT,
    YUAN,
    Column,
    Sheet,
    TitleBlock,
    csv_text,
    write_workbook,
)

from .forms import (
    DateOnlyField,
    EmbeddedChineseForm,
    PlainDateTimeField,
    SecureForm,
    YuanField,
    csrf_failed,
)

# ---------------------------------------------------------------- scoping


def user_townships():
    """Township ids the current user is limited to, or None for all."""
    if not current_user.is_authenticated:
        return []
    return current_user.township_ids()


def scope_query(query, model):
    """Limit a queryset to the current user's townships, if the model is scoped."""
    field = getattr(model, "scope_field", None)
    townships = user_townships()
    if field and townships is not None:
        query = query.filter(**{f"{field}__in": townships})
    return query


def in_scope(record) -> bool:
    """Whether the current user may see ``record`` (the check ``scope_query`` makes, on one record)."""
    townships = user_townships()
    if not getattr(type(record), "scope_field", None) or townships is None:
        return True
    return any(township in townships for township in placed_townships(record))


def choosable(model):
    """The records of ``model`` a user may pick: in scope and not voided."""
    query = scope_query(model.objects, model)
    if "voided" in model._fields:
        query = query.filter(voided=False)
    return query


def sort_keys(order) -> list[str]:
    """``order_by`` keys for ``(column, descending)`` pairs, ending with the record id
    in the last column's direction: rows that tie (the same day, the same second)
    keep one order, so a page neither repeats nor skips a record of the one before."""
    keys = [f"{'-' if descending else ''}{column}" for column, descending in order]
    if not any(column in ("id", "_id", "pk") for column, _ in order):
        keys.append(f"{'-' if order[-1][1] else ''}id")
    return keys


def portable_regex(term: str) -> dict:
    """A case-insensitive 'contains' condition that every backend accepts
    (no compiled pattern: pymongo would send the ``u`` flag FerretDB rejects)."""
    return {"$regex": re.escape(term), "$options": "i"}


def current_role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


#: A condition no record meets (a search the user may not make on any field).
NOTHING = {"_id": None}


def search_conditions_for(fields, term: str) -> list[dict]:
    """The conditions a search term makes on ``fields`` for the current user
    (models.sensitivity: no partial ID numbers for roles that see them masked)."""
    role = current_role()
    conditions = (search_condition(f, normalise(input_kind(f) or INPUT_TEXT, term), role) for f in fields)
    return [c for c in conditions if c is not None]


def remote_addr() -> str | None:
    """The client's address. Behind a trusted proxy (setting TRUSTED_PROXIES) ProxyFix has
    already put the address the proxy saw here; a header sent by anyone else is ignored."""
    return request.remote_addr


def year_arg(optional: bool = False) -> int | None:
    """The ``year`` a page is asked for in its address: this year when none is (None,
    for every year, where the page is ``optional`` about it); a value that is not a
    year from 2000 to 2100 names no page (404)."""
    raw = request.args.get("year")
    if not raw:
        return None if optional else local_today().year
    if not re.fullmatch(r"[0-9]{4}", raw) or not 2000 <= int(raw) <= 2100:
        abort(404)
    return int(raw)


def audit(action_name: str, **kwargs):
    """Write an audit entry for the current user and request."""
    actor = current_user if current_user.is_authenticated else None
    return write_audit(action_name, actor, remote_addr=remote_addr(), **kwargs)


# ---------------------------------------------------------------- filters


class PortableLike(me_filters.BaseMongoEngineFilter):
    def apply(self, query, value):
        field = query._document._fields.get(self.column)
        if field is not None and sensitivity(field):
            return query.filter(__raw__=(search_conditions_for([field], value) or [NOTHING])[0])
        return query.filter(__raw__={self._db_field(query): portable_regex(value)})

    def _db_field(self, query):
        field = query._document._fields.get(self.column)
        return field.db_field if field is not None else self.column

    def operation(self):
        return "包含"


class ChoiceEqual(me_filters.FilterEqual):
    def operation(self):
        return "等于"


class ChoiceNotEqual(me_filters.FilterNotEqual):
    def operation(self):
        return "不等于"


class ReferenceEqual(me_filters.BaseMongoEngineFilter):
    """Equality on a reference, picked from a drop-down of the referenced records
    (the current user's townships only, where the target is scoped)."""

    def __init__(self, column, name, document_type, list_field=False):
        super().__init__(column, name, options=self._options)
        self.document_type = document_type
        self.list_field = list_field

    def _options(self):
        if not has_request_context() or not current_user or not current_user.is_authenticated:
            return []
        return [(str(d.pk), str(d)) for d in choosable(self.document_type).limit(500)]

    def validate(self, value):
        try:
            ObjectId(value)
        except (InvalidId, TypeError):
            return False
        return True

    def clean(self, value):
        return ObjectId(value)

    def apply(self, query, value):
        return query.filter(**{self.column: value})

    def operation(self):
        return "是"


class PortableFilterConverter(me_filters.FilterConverter):
    """Flask-Admin's converter with portable text filters, choice drop-downs,
    reference drop-downs and Chinese operation names."""

    def convert(self, type_name, column, name):
        field = column
        column_name = field if isinstance(field, str) else field.name
        if not isinstance(field, str):
            if getattr(field, "choices", None):
                options = [(c[0], c[1]) for c in field.choices]
                return [ChoiceEqual(column_name, name, options=options),
                        ChoiceNotEqual(column_name, name, options=options)]
            if type_name in ("ListField",) and isinstance(field.field, mongoengine.ReferenceField):
                return [ReferenceEqual(column_name, name, field.field.document_type, list_field=True)]
            if type_name == "ListField" and getattr(field.field, "choices", None):
                options = [(c[0], c[1]) for c in field.field.choices]
                return [ChoiceEqual(column_name, name, options=options)]
            if type_name == "ReferenceField":
                return [ReferenceEqual(column_name, name, field.document_type)]
        if type_name in ("StringField", "EmailField", "URLField"):
            return [PortableLike(column_name, name),
                    ChoiceEqual(column_name, name), ChoiceNotEqual(column_name, name),
                    _chinese(me_filters.FilterEmpty)(column_name, name)]
        return super().convert(type_name, column, name)


_OPERATION_NAMES = {
    "FilterEmpty": "为空",
    "BooleanEqualFilter": "等于",
    "BooleanNotEqualFilter": "不等于",
    "IntEqualFilter": "等于",
    "IntNotEqualFilter": "不等于",
    "IntGreaterFilter": "大于",
    "IntSmallerFilter": "小于",
    "FloatEqualFilter": "等于",
    "FloatGreaterFilter": "大于",
    "FloatSmallerFilter": "小于",
    "DateTimeEqualFilter": "等于",
    "DateTimeNotEqualFilter": "不等于",
    "DateTimeGreaterFilter": "晚于",
    "DateTimeSmallerFilter": "早于",
    "DateTimeBetweenFilter": "介于",
    "DateTimeNotBetweenFilter": "不介于",
}


def _chinese(filter_class):
    label = _OPERATION_NAMES.get(filter_class.__name__)
    if label is None:
        return filter_class
    return type(filter_class.__name__, (filter_class,), {"operation": lambda self: label})


for _group in ("int_filters", "float_filters", "bool_filters", "datetime_filters"):
    setattr(
        PortableFilterConverter,
        _group,
        tuple(_chinese(f) for f in getattr(me_filters.FilterConverter, _group)
              if f.__name__ in _OPERATION_NAMES),
    )


# ---------------------------------------------------------------- ajax loader


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """The stock loader calls ``.filter`` on the search string (HTTP 500 in
    2.2.1) and sends compiled patterns; this one searches portably, leaves out
    voided records and keeps to the user's townships."""

    def _base_query(self):
        return choosable(self.model)

    def get_one(self, pk):
        try:
            return self._base_query().filter(pk=pk).first()
        except (InvalidId, mongoengine.ValidationError):
            return None

    def get_list(self, term, offset=0, limit=10):
        query = self._base_query()
        term = (term or "").strip()
        if term:
            conditions = search_conditions_for(self._cached_fields, term) or [NOTHING]
            query = query.filter(__raw__={"$or": conditions})
        if offset:
            query = query.skip(offset)
        return list(query.limit(min(limit or 10, 50)))


# ---------------------------------------------------------------- formatters


def format_datetime(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and (value.hour or value.minute or value.second):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def format_bool(view, value, name=None):
    return "是" if value else "否"


def format_list(view, value, name=None):
    items = [v for v in value if v is not None]
    if items and all(isinstance(v, mongoengine.EmbeddedDocument) for v in items):
        return Markup("<br>".join(str(escape(str(v))) for v in items))  # one line per session, encounter, ...
    return "、".join(str(v) for v in items)


def format_embedded(view, value, name=None):
    """An embedded document as its own ``__str__`` (Flask-Admin shows a repr)."""
    return str(value) if value is not None else ""


def _type_formatters():
    from flask_admin.contrib.mongoengine.typefmt import DEFAULT_FORMATTERS
    from mongoengine.base import BaseList

    formatters = dict(DEFAULT_FORMATTERS)
    formatters[bool] = format_bool
    formatters[dt.datetime] = lambda view, value, name=None: format_datetime(value)
    formatters[dt.date] = lambda view, value, name=None: format_datetime(value)
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
    from models.users import display_names

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


def _choice_labels(labels: dict):
    @reads_its_column_only
    def format_choices(view, context, model, name):
        return "、".join(labels.get(v, v) for v in getattr(model, name, None) or [])

    return format_choices


def _yuan_formatter(view, context, model, name):
    return format_yuan(getattr(model, name, None))


@reads_its_column_only
def _yuan_export_formatter(view, context, model, name):
    return format_yuan(getattr(model, name, None), symbol=False)


def _blank_to_none(value):
    return None if value in ("", None, "None") else value


class CheckedSelectField(ModelSelectField):
    """A reference drop-down that answers a value which is not one of its records
    (not an id, an id of nothing) with a field error, not a server error or a
    silently emptied choice."""

    invalid = False

    def process_formdata(self, valuelist):
        chosen = valuelist[0] if valuelist else ""
        self.invalid = chosen not in ("", "__None") and not ObjectId.is_valid(chosen)
        if self.invalid:
            self.data = None
            return
        super().process_formdata([chosen or "__None"] if valuelist else valuelist)
        self.invalid = chosen not in ("", "__None") and self.data is None

    def pre_validate(self, form):
        if self.invalid:
            raise StopValidation(self.gettext("Not a valid choice"))
        super().pre_validate(form)


class CheckedSelectMultipleField(ModelSelectMultipleField):
    """A multiple reference drop-down that refuses ids of nothing (and takes a
    record chosen twice once)."""

    invalid = False

    def process_formdata(self, valuelist):
        chosen = list(dict.fromkeys(v for v in valuelist or () if v not in ("", "__None")))
        self.invalid = not all(ObjectId.is_valid(v) for v in chosen)
        if self.invalid or not chosen:
            self.data = None
            return
        super().process_formdata(chosen)
        self.invalid = len(self.data or ()) != len(chosen)

    def pre_validate(self, form):
        if self.invalid:
            raise StopValidation(self.gettext("Not a valid choice"))
        super().pre_validate(form)


class CheckedAjaxSelectField(AjaxSelectField):
    """A searched reference that refuses an id of no record it may offer (the
    stock field saves it as blank when the field is optional)."""

    def pre_validate(self, form):
        if self.data is None and getattr(self, "_formdata", None) not in (None, "", "__None"):
            raise StopValidation(self.gettext("Not a valid choice"))
        super().pre_validate(form)


CHECKED_FIELDS = {ModelSelectField: CheckedSelectField, ModelSelectMultipleField: CheckedSelectMultipleField,
                  AjaxSelectField: CheckedAjaxSelectField}


class BlankableConverter(CustomModelConverter):
    """Optional choice fields get an empty first option instead of silently
    taking the first choice (a child's guardianship must not default to 监护缺失);
    reference drop-downs check what is sent (see ``CheckedSelectField``)."""

    def _get_subdocument_config(self, name):
        config = super()._get_subdocument_config(name)
        if config.form_base_class is None:  # Flask-Admin's own base speaks English
            config.form_base_class = EmbeddedChineseForm
        return config

    def convert(self, model, field, field_args):
        result = super().convert(model, field, field_args)
        if getattr(result, "field_class", None) in CHECKED_FIELDS:
            result.field_class = CHECKED_FIELDS[result.field_class]
        kind = input_kind(field)
        if result is not None and kind is not None and kind != INPUT_DATE and hasattr(result, "kwargs"):
            # before the form's own checks (a length limit counts a trailing space)
            result.kwargs["filters"] = [*result.kwargs.get("filters", ()), functools.partial(normalise, kind)]
        if getattr(result, "field_class", None) is wtforms.fields.DateTimeField:
            result.field_class = PlainDateTimeField
        if (getattr(field, "choices", None) and not field.required and result is not None
                and getattr(result, "field_class", None) is SelectField):
            result.kwargs["choices"] = [("", "—"), *result.kwargs.get("choices", [])]
            result.kwargs["coerce"] = _blank_to_none
        return result


class ExportFormat(str):
    """An export format: the value names it in the address ("xlsx"); the export menu,
    which writes a format in capitals (Flask-Admin: ``export_type|upper``), names it as
    people know it (Excel)."""

    def __new__(cls, value: str, caption: str):
        made = super().__new__(cls, value)
        made.caption = caption
        return made

    def upper(self):
        return self.caption


EXCEL = ExportFormat("xlsx", "Excel")


# ---------------------------------------------------------------- the base view


class SecureModelView(ModelView):
    """Every model view inherits this. Set ``area`` to the permission area."""

    area = "records"
    form_base_class = SecureForm
    filter_converter = PortableFilterConverter()
    model_form_converter = BlankableConverter
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    allowed_search_types = (mongoengine.StringField, mongoengine.EmailField, mongoengine.URLField)
    can_delete = False
    can_view_details = True
    details_modal = False
    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    export_max_rows = 50000
    export_types = ["csv"]
    list_template = "admin/secure_list.html"
    details_template = "admin/secure_details.html"
    bookkeeping_columns = ("version", "created_at", "created_by", "updated_at", "updated_by",
                           "voided", "void_reason", "voided_at", "voided_by", "photo_hashes")
    form_excluded_columns = bookkeeping_columns
    column_exclude_list = bookkeeping_columns
    column_details_exclude_list = ("version", "photo_hashes")
    column_export_exclude_list = ("version",)
    column_formatters_export: dict = {}
    #: Datetime fields that hold a calendar date: a date picker, stored at midnight.
    date_fields: tuple[str, ...] = ()
    #: Columns that hold files in GridFS, as dotted paths of the stored document.
    file_fields: tuple[str, ...] = ()
    #: The record keeps a ``photos`` list: the form gets a phone-camera photo upload.
    accepts_photos = False
    #: File fields of the record uploaded from the form: field name -> (label, images only).
    file_uploads: dict[str, tuple[str, bool]] = {}

    def __init__(self, model, *args, **kwargs):
        self._auto_labels(model)
        self._upload_fields()
        super().__init__(model, *args, **kwargs)

    def _upload_fields(self):
        extra = dict(self.form_extra_fields or {})
        names = []
        if self.accepts_photos:
            extra.setdefault("photo_upload", MultipleFileField(
                "照片", description="可直接用手机拍照，可多选；只接受图片。",
                render_kw={"accept": "image/*", "capture": "environment", "multiple": True}))
            names.append("photo_upload")
        for field_name, (label, images_only) in self.file_uploads.items():
            accept = "image/*" if images_only else "image/*,.pdf,.doc,.docx,.xls,.xlsx"
            extra.setdefault(f"{field_name}_upload", FileField(label, render_kw={"accept": accept}))
            names.append(f"{field_name}_upload")
        if not names:
            return
        self._pending_widgets(extra)
        files = list(self.file_fields)
        details = dict(self.column_formatters_detail or {})
        lists = dict(self.column_formatters or {})
        exports = dict(self.column_formatters_export or {})
        if self.accepts_photos:
            files += ["photos.file", "photos.thumbnail"]
            details.setdefault("photos", photo_thumbnails)
            lists.setdefault("photos", photo_thumbnails)
            exports.setdefault("photos", reads_its_column_only(lambda v, c, m, n: len(m.photos or [])))
        for field_name in self.file_uploads:
            files.append(field_name)
            details.setdefault(field_name, file_link)
            lists.setdefault(field_name, file_link)
            exports.setdefault(field_name, reads_its_column_only(
                lambda v, c, m, n: "有" if getattr(getattr(m, n, None), "grid_id", None) else "无"))
        self.file_fields = tuple(dict.fromkeys(files))
        self.column_formatters_detail, self.column_formatters = details, lists
        self.column_formatters_export = exports
        self.form_extra_fields = extra
        self.non_model_fields = tuple(dict.fromkeys((*self.non_model_fields, *names)))
        if self.form_columns:
            self.form_columns = tuple(dict.fromkeys((*self.form_columns, *names)))

    def kept_upload_fields(self) -> dict[str, tuple[bool, bool]]:
        """The form's file inputs: name -> (images only, one file). Their files are kept
        across a refused save (views.uploads). Views with an upload of their own add it."""
        fields = {"photo_upload": (True, False)} if self.accepts_photos else {}
        for field_name, (_label, images_only) in self.file_uploads.items():
            fields[f"{field_name}_upload"] = (images_only, True)
        return fields

    def _pending_widgets(self, extra: dict) -> None:
        """File inputs that also show the files already sent with the form."""
        from .uploads import PendingFileInput

        for name, (_images_only, single) in self.kept_upload_fields().items():
            unbound = extra.get(name)
            if unbound is not None and hasattr(unbound, "kwargs"):
                unbound.kwargs.setdefault("widget", PendingFileInput(multiple=not single))

    def keep_uploads(self, form) -> None:
        """Keep the files sent with this submission, and those kept from an earlier one,
        for the user (``field.pending``), before anything may refuse the save."""
        from .uploads import PENDING_SUFFIX, kept_uploads

        limit = current_app.config["MAX_CONTENT_LENGTH"]
        for name, (images_only, single) in self.kept_upload_fields().items():
            if name in form:
                field = form[name]
                field.pending, field.refused = kept_uploads(
                    current_user.pk, name, request.files.getlist(name), request.form.getlist(name + PENDING_SUFFIX),
                    limit, images_only, single=single)

    def form_files(self, form, name: str) -> list[tuple[bytes, str]]:
        """The files a form field carries (content, file name): kept ones and just sent ones."""
        field = form[name]
        if hasattr(field, "pending"):
            return [(item.read(), item.filename) for item in field.pending] + list(field.refused)
        data = field.data
        uploads = data if isinstance(data, (list, tuple)) else [data]
        return [(u.read(), u.filename) for u in uploads if u and getattr(u, "filename", "")]

    def adopt_uploads(self, form) -> None:
        """The record now holds the kept files: remove them from the pending ones."""
        from models.pending import forget

        for name in self.kept_upload_fields():
            if name in form:
                forget(getattr(form[name], "pending", None) or [])

    def store_uploads(self, form, model):
        """Keep the files uploaded with the form on the record (before it is saved)."""
        from models.files import store_upload
        from models.visits import add_photo

        limit = current_app.config["MAX_CONTENT_LENGTH"]
        self._kept_photos = {p.file.grid_id for p in getattr(model, "photos", None) or [] if p.file}
        if self.accepts_photos and "photo_upload" in form:
            for data, filename in self.form_files(form, "photo_upload"):
                add_photo(model, data, filename, limit)
        for field_name, (_label, images_only) in self.file_uploads.items():
            for data, filename in self.form_files(form, f"{field_name}_upload")[-1:]:
                store_upload(model, field_name, data, filename, limit, images_only=images_only,
                             form_field=f"{field_name}_upload")

    def discard_stored_uploads(self, model, before):
        """Remove the files of a save that was refused (nothing half-saved)."""
        from models.files import discard_new_files
        from models.visits import discard_photos

        if self.accepts_photos:
            discard_photos(model, getattr(self, "_kept_photos", set()))
        if self.file_uploads:
            discard_new_files(model, before)

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
                labels_of = _choice_labels(dict(inner_choices))
                for group in (list_formatters, detail_formatters, export_formatters):
                    group.setdefault(name, labels_of)
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
                list_formatters.setdefault(name, _yuan_formatter)
                detail_formatters.setdefault(name, _yuan_formatter)
                export_formatters.setdefault(name, _yuan_export_formatter)
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

    # -- permissions -------------------------------------------------------

    def _may(self, action_name):
        return current_user.is_authenticated and current_user.can(self.area, action_name)

    def is_accessible(self):
        return self._may("view")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    #: False where records come from elsewhere (an import, a draw, the system): no "create" form.
    creatable = True
    #: False where records are never edited in a form (the audit trail, imported data).
    editable = True

    @property
    def can_create(self):
        return self.creatable and self._may("create")

    @property
    def can_edit(self):
        return self.editable and self._may("edit")

    @property
    def can_export(self):
        return self._may("export")

    @property
    def can_void(self):
        return self._may("void") and "voided" in self.model._fields

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if not self.can_edit:
            abort(403)
        return super().edit_view()

    def is_action_allowed(self, name):
        if name in ("void", "restore"):
            return self.can_void
        if name == "delete":
            return False
        return super().is_action_allowed(name)

    # -- scoping -----------------------------------------------------------

    def showing_voided(self) -> bool:
        return request.args.get("voided") == "1"

    def get_query(self):
        query = scope_query(self.model.objects, self.model)
        named = self.named_list()
        if named is not None:
            return query.filter(__raw__=named.condition(current_user))
        if "voided" in self.model._fields and not self.showing_voided():
            query = query.filter(voided=False)
        return query

    def named_list(self):
        """The named list (models.named_lists) asked for with ``?only=<code>``, when it is of this view's records."""
        named = named_list(request.args.get("only")) if has_request_context() else None
        return named if named is not None and named.document() is self.model else None

    def get_one(self, id):
        try:
            record = by_id(self.model, id)
        except (mongoengine.ValidationError, InvalidId):
            return None
        return record if record is not None and in_scope(record) else None

    def check_scope(self, model) -> None:
        """Refuse a record placed outside the user's townships."""
        field = getattr(self.model, "scope_field", None)
        townships = user_townships()
        if not field or townships is None:
            return
        chosen = placed_townships(model)
        if not chosen or any(township not in townships for township in chosen):
            raise DomainError("只能选择您负责的街道/乡镇。", field=field)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        form_class.record_version = HiddenField()
        return form_class

    def _limit_township_choices(self, form):
        """Offer only the user's townships in the record's township field."""
        field = getattr(self.model, "scope_field", None)
        if not field or field not in form or not hasattr(form[field], "queryset"):
            return
        from models.reference import Township

        form[field].queryset = choosable(Township)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self._limit_township_choices(form)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        self._limit_township_choices(form)
        return form

    # -- search and list ---------------------------------------------------

    def init_search(self):
        # Reference fields are never searchable (the stock code returns 500).
        if self.column_searchable_list:
            for name in self.column_searchable_list:
                field = self.model._fields.get(name) if isinstance(name, str) else name
                if field is None or type(field) not in self.allowed_search_types:
                    raise ValueError(f"不能搜索该字段：{name}")
                self._search_fields.append(field)
        return bool(self._search_fields)

    def search_placeholder(self):
        labels = [self.get_column_name(f.name) for f in self._search_fields]
        return "搜索" + ("：" + "、".join(labels) if labels else "")

    def search_conditions(self, term: str) -> list[dict]:
        """Raw conditions OR-ed for a search term. Subclasses add their own."""
        return search_conditions_for(self._search_fields, term)

    def _search(self, query, search_term):
        term = plain(search_term or "").strip()  # full-width characters typed with a Chinese input method
        if not term:
            return query
        return query.filter(__raw__={"$or": self.search_conditions(term) or [NOTHING]})

    def list_order(self, sort_column, sort_desc) -> list[tuple[str, bool]]:
        """The list's ``(column, descending)`` order: the column clicked, else the
        view's default sort, else the model's own ordering."""
        if sort_column:
            return [(sort_column, sort_desc)]
        return list(self._get_default_order() or ()) or [
            (key.lstrip("-"), key.startswith("-")) for key in self.model._meta.get("ordering") or ()]

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        query = self.get_query()
        for index, _name, value in filters or ():
            flt = self._filters[index]
            query = flt.apply(query, flt.clean(value))
        if self._search_supported and search:
            query = self._search(query, search)
        order = self.list_order(sort_column, sort_desc)
        if order:
            query = query.order_by(*sort_keys(order))
        page_size = self.page_size if page_size is None else page_size
        reading_a_page = bool(page_size) and page_size <= max(self.page_size_options or (self.page_size,))
        projection = self.column_list_only_fields() if reading_a_page else self.export_only_fields()
        if projection:
            query = query.only(*projection)
        if execute and reading_a_page and server_scans_collections():
            # Every query reads the whole collection here: one read of the matching
            # rows' listed fields gives both the count and the page. (An export reads
            # its rows below, limited by the server, and counts them as it writes.)
            rows = list(query.as_pymongo().batch_size(WHOLE_RESULT))
            start = (page or 0) * page_size
            records = [self.model._from_son(son) for son in rows[start:start + page_size]]
            return len(rows), DeReference()(records, max_depth=2)  # as select_related() does
        # A caller that iterates the records itself (an export) counts them as it goes.
        count = None if self.simple_list_pager or (not reading_a_page and server_scans_collections()) \
            else query.count()
        if page_size:
            query = query.limit(page_size).skip((page or 0) * page_size)
        if execute:
            # One query per referenced collection instead of one per row.
            query = query.select_related()
        return count, query

    def get_filter_arg(self, index, flt):
        """Stable, readable filter names in URLs: ``flt0_township_equals``."""
        kind = type(flt).__name__
        for suffix, key in (("NotBetweenFilter", "not_between"), ("BetweenFilter", "between"),
                            ("NotEqualFilter", "not_equal"), ("NotEqual", "not_equal"),
                            ("EqualFilter", "equals"), ("Equal", "equals"), ("GreaterFilter", "gt"),
                            ("SmallerFilter", "lt"), ("FilterEmpty", "empty"), ("Like", "contains")):
            if kind.endswith(suffix):
                return f"{flt.column}_{key}"
        return f"{flt.column}_{index}"

    def _create_ajax_loader(self, name, opts):
        """Every ajax reference uses the scoped, portable loader."""
        field = self.model._fields.get(name)
        if field is None:
            raise ValueError(f"{self.model.__name__} 没有字段 {name}")
        target = getattr(field, "document_type", None) or getattr(getattr(field, "field", None), "document_type", None)
        if target is None:
            raise ValueError(f"{self.model.__name__}.{name} 不是引用字段")
        return ScopedAjaxLoader(name, target, **opts)

    def _process_ajax_references(self):
        """Ajax references inside embedded forms (a patrol's encounters) get the
        scoped loader too: Flask-Admin gives them its stock one, whose look-ups
        fail with a server error on a value that is not an id."""
        references = super()._process_ajax_references()
        for loader in references.values():
            if type(loader) is QueryAjaxModelLoader:
                loader.__class__ = ScopedAjaxLoader  # the same state; its own get_one and get_list
        return references

    def _get_filter_groups(self):
        """Filter drop-downs whose options come from the database are filled per
        request (for the current user's scope), not once at start-up."""
        groups = super()._get_filter_groups()
        if not groups:
            return groups
        for items in groups.values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, ReferenceEqual):
                    item["options"] = flt.get_options(self) or None
        return groups

    #: Computed columns shown on a record's page after its own fields (each needs a formatter).
    details_extra_columns: tuple[str, ...] = ()
    #: Derived fields kept for grouping and scheduling, never shown on a record's page.
    derived_fields = frozenset({"year", "quarter", "month", "week", "day", "line_month", "week_people",
                                "month_people", "quarter_people", "year_people"})

    def get_details_columns(self):
        """The record's own fields in the order the model declares them (embedded
        lists such as sessions included), then who created and changed it."""
        if self.column_details_list:
            return super().get_details_columns()
        hidden = ("id", "version", "photo_hashes")
        bookkeeping = [name for name in self.bookkeeping_columns if name in self.model._fields and name not in hidden]
        own = [name for name in self.model._fields
               if name not in bookkeeping and name not in self.derived_fields and name not in hidden]
        return self.get_column_names(only_columns=own + list(self.details_extra_columns) + bookkeeping,
                                     excluded_columns=self.column_details_exclude_list)

    def column_list_only_fields(self) -> tuple[str, ...]:
        """Fields to load for the list (a projection); empty loads everything."""
        return ()

    # Export columns that are not fields, or that have a formatter, with the fields
    # their value is made from.
    export_column_fields: dict = {}

    def export_only_fields(self) -> tuple[str, ...]:
        """The fields an export reads: those of its columns (a projection, so a large export
        decodes only what it writes); empty, reading everything, when a column is computed
        from fields the view does not name."""
        names: list[str] = []
        formatted = self.column_formatters_export or {}
        for key, _label in self.export_columns():
            if key in self.export_column_fields:
                names.extend(self.export_column_fields[key])
            elif key in formatted and not getattr(formatted[key], "reads_its_column_only", False):
                return ()  # a formatter may read any field of the record
            elif key in self.model._fields:
                names.append(key)
            elif isinstance(key, str) and key.startswith("cf:") and "custom" in self.model._fields:
                names.append("custom")
            else:
                return ()
        return tuple(dict.fromkeys(names))


    # -- saving through the service layer ----------------------------------

    non_model_fields = ("record_version", "csrf_token")

    def populate(self, form, model):
        for name, field in form._fields.items():
            if name not in self.non_model_fields:
                field.populate_obj(model, name)

    def validate_form(self, form):
        if request.method == "POST" and current_user.is_authenticated:
            self.keep_uploads(form)
        valid = super().validate_form(form)
        if not valid and csrf_failed(form):
            flash(form.csrf_token.errors[0], "error")
        return valid

    def _report(self, form, exc: DomainError):
        if exc.field and exc.field in form:
            form[exc.field].errors = [*list(form[exc.field].errors or []), exc.message]
            flash(exc.message, "error")
        else:
            flash(exc.message, "error")

    def create_model(self, form):
        model = self.model()
        try:
            self.populate(form, model)
            model.prepare()  # derived fields, such as a township taken from the person
            self.check_scope(model)
            self.store_uploads(form, model)
            self.on_model_change(form, model, True)
            create_record(model, current_user._get_current_object())
        except DomainError as exc:
            self.discard_stored_uploads(model, None)
            self.discard_uploads(model, None)
            self._report(form, exc)
            return False
        self.saved(form)
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        before = snapshot(model)
        try:
            expected = int(form.record_version.data or model.version or 1)
        except (TypeError, ValueError):
            expected = model.version or 1
        try:
            self.populate(form, model)
            model.prepare()  # derived fields, such as a township taken from the person
            self.check_scope(model)
            self.store_uploads(form, model)
            self.on_model_change(form, model, False)
            update_record(model, before, expected, current_user._get_current_object())
        except DomainError as exc:
            self.discard_stored_uploads(model, before)
            self.discard_uploads(model, before)
            self._report(form, exc)
            return False
        self.saved(form)
        self.after_model_change(form, model, False)
        return True

    def discard_uploads(self, model, before):
        """Undo files stored for a save that was refused. Views with files override it."""

    def saved(self, form) -> None:
        """The form was saved: its kept files are the record's now, its draft is done."""
        from .drafts import note_saved_form

        self.adopt_uploads(form)
        note_saved_form()

    def on_form_prefill(self, form, id):
        if request.method == "GET":
            model = self.get_one(id)
            if model is not None:
                form.record_version.data = model.version or 1

    def delete_model(self, model):
        flash("记录不能删除，请使用“作废”并填写原因。", "error")
        return False

    # -- void and restore --------------------------------------------------

    @action("void", "作废", None)
    def action_void(self, ids):
        return redirect(self.get_url(".void_view", ids=",".join(ids), url=get_redirect_target()))

    @action("restore", "恢复", None)
    def action_restore(self, ids):
        return redirect(self.get_url(".void_view", ids=",".join(ids), restore=1, url=get_redirect_target()))

    @expose("/void/", methods=("GET", "POST"))
    def void_view(self):
        if not self.can_void:
            abort(403)
        restoring = request.values.get("restore") == "1"
        return_url = get_redirect_target() or self.get_url(".index_view")
        ids = [i for i in (request.values.get("ids") or "").split(",") if i]
        records = []
        for pk in ids[:200]:
            record = self.get_one(pk)
            if record is not None:
                records.append(record)
        form = SecureForm(request.form if request.method == "POST" else None)
        error = None
        if request.method == "POST":
            reason = request.form.get("reason", "")
            if not form.validate():
                error = form.csrf_token.errors[0] if csrf_failed(form) else "提交无效，请重试。"
            elif not records:
                error = "没有可处理的记录（记录不存在或不在您的负责范围内）。"
            else:
                done = 0
                try:
                    for record in records:
                        if restoring:
                            restore_record(record, reason, current_user._get_current_object())
                        else:
                            void_record(record, reason, current_user._get_current_object())
                        done += 1
                except DomainError as exc:
                    error = exc.message
                if error is None:
                    flash(f"已{'恢复' if restoring else '作废'} {done} 条记录。", "success")
                    return redirect(return_url)
        return self.render("admin/void.html", records=records, form=form, error=error,
                           restoring=restoring, return_url=return_url,
                           reason=request.form.get("reason", ""), ids=",".join(ids))

    # -- export ------------------------------------------------------------

    def get_export_name(self, export_type="csv"):
        stamp = local_now().strftime("%Y%m%d_%H%M")
        return f"{self.name}_{stamp}.{export_type}"

    def get_export_value(self, model, name):
        value = self.visible(model, name, super().get_export_value(model, name))
        return "" if value is None else value

    def visible(self, model, name, value, in_list=False):
        """A column's value as the current user may see it (models.sensitivity); in a
        list an ID number is masked for everyone."""
        field = model._fields.get(name)
        kind = sensitivity(field)
        if kind is None:
            return value
        return visible_value(field, value, None if in_list and kind == ID_NUMBER else current_role())

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type == "xlsx" and self.can_export and export_type in self.export_types:
            _, data = self._export_data()
            return self.xlsx_response(data)
        return super().export(export_type)

    def export_columns(self) -> list[tuple[str, str]]:
        """(name, label) of the columns an export writes."""
        return list(self._export_columns)

    def export_kind(self, name: str) -> str:
        """How a column is written in a workbook: money, dates and numbers as such."""
        field = self.model._fields.get(name) if isinstance(name, str) else None
        if field is None or sensitivity(field) is not None or getattr(field, "choices", None):
            return TEXT
        if isinstance(field, FenField):
            return YUAN
        if isinstance(field, mongoengine.DateTimeField):
            return DATE if name in self.date_fields else DATETIME
        if isinstance(field, mongoengine.IntField):
            return INT
        if isinstance(field, mongoengine.FloatField):
            return NUMBER
        return TEXT

    def export_cell(self, model, name: str, kind: str):
        """A column's value for a workbook: the number or date itself, else the exported text."""
        if kind == YUAN:
            return yuan_decimal(getattr(model, name, None))
        if kind != TEXT:
            raw = getattr(model, name, None)
            if isinstance(raw, (int, float, dt.datetime)) and not isinstance(raw, bool):
                return raw
        value = self.get_export_value(model, name)
        return value if isinstance(value, (int, float, dt.datetime)) and kind != TEXT else str(value)

    def xlsx_response(self, records):
        """The records as a workbook (models.spreadsheets.write_workbook: title block, 序号, formats, print set-up)."""
        from models.contracts import current_contract

        columns = self.export_columns()
        kinds = [self.export_kind(name) for name, _ in columns]
        written = 0

        def rows():
            nonlocal written
            for record in records:
                written += 1
                yield [self.export_cell(record, name, kind) for (name, _), kind in zip(columns, kinds, strict=True)]

        contract = current_contract()
        block = TitleBlock.for_contract(self.name, contract, made_by=getattr(current_user, "display_name", ""),
                                        as_of=local_today())
        path = write_workbook([Sheet(self.name, [Column(label, kind) for (_, label), kind in zip(columns, kinds,
                                                                                               strict=True)], rows())],
                              block)
        audit("export", collection=self.model._get_collection_name(), detail=f"导出“{self.name}” {written} 条（Excel）")
        return send_xlsx(path, self.get_export_name("xlsx"))

    def _export_csv(self, return_url):
        count, data = self._export_data()
        columns = self._export_columns

        def rows():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")
            writer.writerow([csv_text(c[1]) for c in columns])
            yield buffer.getvalue()
            for row in data:
                buffer.seek(0)
                buffer.truncate()
                # text that a spreadsheet program would run as a formula is written as text
                writer.writerow([csv_text(self.get_export_value(row, c[0])) for c in columns])
                yield buffer.getvalue()

        filename = self.get_export_name("csv")
        # the entry is written before the rows stream; on a scanning server the count is not asked
        audit("export", collection=self.model._get_collection_name(),
              detail=f"导出“{self.name}”" + (f" {count} 条" if count is not None else "（CSV）"))
        return Response(
            stream_with_context(rows()),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": content_disposition(filename)},
        )

    # -- files -------------------------------------------------------------

    @expose("/api/file/")
    def api_file_view(self):
        """Serve a GridFS file only when it belongs to a record the user may see."""
        if not self._may("details"):
            abort(403)
        try:
            file_id = ObjectId(request.args.get("id", ""))
        except (InvalidId, TypeError):
            abort(404)
        owner = self.file_owner(file_id)
        if owner is None:
            abort(404)
        field = self.file_field_of(owner, file_id)
        fs = gridfs.GridFS(get_db(), getattr(field, "collection_name", "fs"))
        try:
            data = fs.get(file_id)
        except gridfs.NoFile:
            abort(404)
        if getattr(field, "audited", True) is not False:  # a thumbnail shown in a list is no download
            audit("download", collection=self.model._get_collection_name(), record_id=owner.pk,
                  record_label=str(owner), detail=data.filename)
        # Shown in the browser only when its content is a picture; anything else is downloaded.
        image_type = image_type_of(data.read(16))
        data.seek(0)
        mimetype = (image_type or getattr(owner, "content_type", None) or mimetypes.guess_type(data.filename or "")[0]
                    or "application/octet-stream")
        return send_file(data, mimetype=mimetype, download_name=base_name(data.filename),
                         as_attachment=image_type is None)

    def file_owner(self, file_id):
        if not self.file_fields:
            return None
        conditions = [{path: file_id} for path in self.file_fields]
        query = scope_query(self.model.objects, self.model)
        return query.filter(__raw__={"$or": conditions}).first()

    def file_field_of(self, owner, file_id):
        """The file field that holds ``file_id`` on ``owner`` (following embedded paths
        such as "photos.file"): its GridFS bucket, and whether opening it is audited."""
        for path in self.file_fields:
            field, values = _field_at(type(owner), path), _values_at(owner, path)
            if field is not None and any(getattr(v, "grid_id", None) == file_id for v in values):
                return field
        abort(404)

    @pass_context
    def get_list_value(self, context, model, name):
        value = self.visible(model, name, super().get_list_value(context, model, name), in_list=True)
        return "" if value is None or value == "None" else value

    @pass_context
    def get_detail_value(self, context, model, name):
        value = self.visible(model, name, super().get_detail_value(context, model, name))
        return "" if value is None or value == "None" else value

    def details_links(self, model) -> list[tuple[str, str]]:
        """Extra buttons on a record's page (label, url). Views add their own."""
        return []

    # -- rendering helpers ---------------------------------------------------

    def list_notice(self) -> tuple[str, str] | None:
        """A line above the list saying what narrows it beyond the filters shown
        (text, url of the whole list), or None. Views that read extra arguments add it."""
        named = self.named_list()
        if named is not None:
            return f"只显示：{named.label}。", url_for(".index_view")
        return None

    #: Columns that hold internal codes (``visits.home``, ``left_behind_child``): shown only to
    #: those who maintain the records (who may edit them), to nobody else.
    code_columns: tuple[str, ...] = ()

    def shows_codes_to(self, role: str | None) -> bool:
        from models.users import allowed

        return bool(self.code_columns) and self.editable and allowed(role, self.area, "edit")

    def shows_codes(self) -> bool:
        return self.shows_codes_to(current_role())

    def _without_codes(self, columns):
        if not self.code_columns or self.shows_codes():
            return columns
        return [c for c in columns if c[0] not in self.code_columns]

    def render(self, template, **kwargs):
        for name in ("list_columns", "details_columns"):
            if name in kwargs:
                kwargs[name] = self._without_codes(kwargs[name])
        kwargs.setdefault("can_void", self.can_void)
        kwargs.setdefault("showing_voided", self.showing_voided())
        if template == self.list_template:
            kwargs.setdefault("list_notice", self.list_notice())
        return super().render(template, **kwargs)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx(path, filename: str):
    """Send an .xlsx file written to disk, and remove it once sent."""
    response = send_file(path, as_attachment=True, download_name=filename, mimetype=XLSX_MIMETYPE)
    response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response


def _field_at(document, path: str):
    """The field at a dotted path ("photos.file") of a document class."""
    field = None
    for part in path.split("."):
        field = document._fields.get(part) if document is not None else None
        if field is None:
            return None
        inner = getattr(field, "field", None)
        document = getattr(inner, "document_type", None) or getattr(field, "document_type", None)
    return field


def _values_at(record, path: str) -> list:
    """The values at a dotted path of a record, through embedded lists."""
    values = [record]
    for part in path.split("."):
        found = []
        for value in values:
            item = getattr(value, part, None)
            found.extend(item if isinstance(item, list) else [item])
        values = [v for v in found if v is not None]
    return values


def content_disposition(filename: str) -> str:
    """A Content-Disposition header that keeps a Chinese file name (RFC 5987)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class SecureView(BaseView):
    """Base of custom (non-model) pages."""

    area = "records"
    action_needed = "view"

    def is_accessible(self):
        return current_user.is_authenticated and current_user.can(self.area, self.action_needed)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class HomeView(AdminIndexView):
    """The start page: each role lands on its own."""

    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        from .home import start_page_context

        return self.render("admin/home.html", **start_page_context(current_user._get_current_object()))
