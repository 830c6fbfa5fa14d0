"""The one secure base of every model view, composed of the concerns of this
package: access, the Flask-Admin backend fixes, columns, uploads, exports, files
and voiding. What stays here: the view's defaults, township scoping of its
records and forms, the record's page, and saving through ``models.services`` (so
that the version check and the audit trail always happen)."""

import mongoengine
from bson.errors import InvalidId
from flask import flash, g, has_request_context, request, url_for
from flask_admin.contrib.mongoengine import ModelView
from flask_login import current_user
from wtforms import HiddenField

from models.base import by_id, placed_townships
from models.errors import DomainError, PermissionDenied
from models.named_lists import named_list
from models.reference import Township
from models.services import create_record, snapshot, update_record
from models.users import allowed

from ..drafts import note_saved_form
from ..forms import SecureForm, csrf_failed
from .access import Access
from .admin_fixes import BackendFixes, BlankableConverter, PortableFilterConverter
from .exports import Exports
from .files import Files
from .formatters import TYPE_FORMATTERS, Columns
from .scoping import choosable, current_role, in_scope, scope_query, user_townships
from .uploads import Uploads
from .voiding import Voiding


class SecureModelView(Access, BackendFixes, Columns, Uploads, Exports, Files, Voiding, ModelView):
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
        """Refuse a record placed outside the user's townships (``PermissionDenied``: a form
        shows it at the field, a page reached otherwise answers 403)."""
        field = getattr(self.model, "scope_field", None)
        townships = user_townships()
        if not field or townships is None:
            return
        chosen = placed_townships(model)
        if not chosen or any(township not in townships for township in chosen):
            raise PermissionDenied("只能选择您负责的街道/乡镇。", field=field)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        form_class.record_version = HiddenField()
        return form_class

    def _limit_township_choices(self, form):
        """Offer only the user's townships in the record's township field."""
        field = getattr(self.model, "scope_field", None)
        if not field or field not in form or not hasattr(form[field], "queryset"):
            return
        form[field].queryset = choosable(Township)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self._limit_township_choices(form)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        self._limit_township_choices(form)
        return form

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

    def _save(self, form, model, before: dict | None, write) -> bool:
        """Fill ``model`` from the form, check it, and ``write`` it through models.services
        (``before`` is None for a new record); a refusal is shown in the form and leaves
        no file of this save behind."""
        is_created = before is None
        try:
            self.populate(form, model)
            model.prepare()  # derived fields, such as a township taken from the person
            self.check_scope(model)
            self.store_uploads(form, model)
            self.on_model_change(form, model, is_created)
            write()
        except DomainError as exc:
            self.discard_stored_uploads(model, before)
            self.discard_uploads(model, before)
            self._report(form, exc)
            return False
        self.saved(form)
        self.after_model_change(form, model, is_created)
        return True

    def create_model(self, form):
        model, actor = self.model(), current_user._get_current_object()
        return model if self._save(form, model, None, lambda: create_record(model, actor)) else False

    def update_model(self, form, model):
        before, actor = snapshot(model), current_user._get_current_object()
        try:
            expected = int(form.record_version.data or model.version or 1)
        except (TypeError, ValueError):
            expected = model.version or 1
        return self._save(form, model, before, lambda: update_record(model, before, expected, actor))

    def saved(self, form) -> None:
        """The form was saved: its kept files are the record's now, its draft is done."""
        self.adopt_uploads(form)
        note_saved_form()

    def on_form_prefill(self, form, id):
        if request.method == "GET":
            model = self.get_one(id)
            if model is not None:
                form.record_version.data = model.version or 1

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
            kwargs.setdefault("cut_filters", g.get("cut_filters", []))
        return super().render(template, **kwargs)

