"""Every fix Flask-Admin 2.2's mongoengine backend needs, in one place (an upgrade
of Flask-Admin is a diff of this module): portable (FerretDB-safe) filters with
Chinese operation names, a scoped ajax reference loader, form fields that refuse
ids of nothing, a form converter with blank choices, and the list, search, filter
and ajax overrides of the model view (``BackendFixes``)."""

import functools

import mongoengine
import wtforms.fields
from bson import ObjectId
from bson.errors import InvalidId
from flask import g, has_request_context
from flask_admin.contrib.mongoengine import filters as me_filters
from flask_admin.contrib.mongoengine.ajax import QueryAjaxModelLoader
from flask_admin.contrib.mongoengine.form import (
    CustomModelConverter,
    ModelSelectField,
    ModelSelectMultipleField,
)
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import StopValidation

from models.base import WHOLE_RESULT, server_scans_collections
from models.inputs import DATE as INPUT_DATE
from models.inputs import input_kind, normalise, plain
from models.loading import built_records, related
from models.sensitivity import sensitivity

from ..forms import EmbeddedChineseForm, PlainDateTimeField
from .scoping import NOTHING, choosable, portable_regex, search_conditions_for, sort_keys

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

    #: At most this many records are offered in the drop-down; where there are more, the
    #: list says so (``g.cut_filters``, shown by the list template).
    most = 500

    def _options(self):
        if not has_request_context() or not current_user or not current_user.is_authenticated:
            return []
        found = [(str(d.pk), str(d)) for d in choosable(self.document_type).limit(self.most + 1)]
        if len(found) > self.most:
            g.setdefault("cut_filters", []).append((self.name, self.most))
        return found[: self.most]

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


class BackendFixes:
    """The model view's overrides of Flask-Admin's list, search, filters and ajax references."""

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
            return len(rows), built_records(self.model, rows[start:start + page_size])
        # A caller that iterates the records itself (an export) counts them as it goes.
        count = None if self.simple_list_pager or (not reading_a_page and server_scans_collections()) \
            else query.count()
        if page_size:
            query = query.limit(page_size).skip((page or 0) * page_size)
        if execute:
            # One query per referenced collection instead of one per row (select_related(), faster).
            return count, related(query)
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
