"""Many records built at once from raw rows, with their references attached.

``built_records(rows)`` gives the documents mongoengine's ``_from_son`` followed
by ``select_related()`` gives, at a fraction of the cost: mongoengine sets each
of a record's fields through its descriptors (about fifty for an archive, read
or not), and its dereferencing walks every value of every record. An export of
5,000 archives spent most of a second on each. Here a class's fields are looked
at once, a record's data are filled in one dictionary, and the references are
read once per referenced kind (one query each, as ``select_related`` asks) and
attached by id. ``tests/test_loading.py`` holds the records equal to
mongoengine's own for every document class."""

import contextlib
import functools
import gc
import threading
import weakref
from collections.abc import Iterable

from bson import DBRef, ObjectId
from mongoengine import (
    EmbeddedDocument,
    EmbeddedDocumentField,
    GenericEmbeddedDocumentField,
    ListField,
    ReferenceField,
)
from mongoengine.base import BaseList, get_document
from mongoengine.base.document import BaseDocument

#: How deep references are attached: a record's own, as ``select_related()`` does (not theirs).
REFERENCE_DEPTH = 1

class _Plan:
    """What building a class's records needs, worked out once per class."""

    def __init__(self, document_class):
        self.fields = document_class._fields
        self.by_stored_name = {field.db_field: (name, field) for name, field in self.fields.items()}
        self.constants: dict = {}  # a field's value when the row has none (None, or a fixed default)
        self.makers: list = []  # fields whose default is made afresh for each record (lists, dicts...)
        for name, field in self.fields.items():
            default = None if field.null else field.default
            if callable(default):
                self.makers.append((name, default))
            else:
                self.constants[name] = default
        self.embedded = frozenset(name for name, field in self.fields.items()
                                  if _holds_embedded(field))
        self.choices = tuple((name, field) for name, field in self.fields.items() if field.choices)
        self.references = {}  # name: (referenced class, is a list)
        for name, field in self.fields.items():
            inner = field.field if isinstance(field, ListField) else field
            if isinstance(inner, ReferenceField) and isinstance(inner.document_type, type):
                self.references[name] = (inner.document_type, isinstance(field, ListField))


def _holds_embedded(field) -> bool:
    inner = getattr(field, "field", None)
    return isinstance(field, (EmbeddedDocumentField, GenericEmbeddedDocumentField)) or (
        inner is not None and _holds_embedded(inner))


@functools.cache
def _plan(document_class) -> _Plan:
    return _Plan(document_class)


@functools.cache
def _stored_class(document_class, class_name):
    if not class_name or class_name == document_class._class_name:
        return document_class
    return get_document(class_name)


def built_record(document_class, son: dict):
    """The document of a raw row, as ``document_class._from_son(son)`` makes it, except
    that its references stay ids until ``attach_references`` (which every caller runs)."""
    cls = _stored_class(document_class, son.get("_cls"))
    plan = _plan(cls)
    if cls._dynamic:
        return cls._from_son(son)
    data = dict(plan.constants)
    for name, make in plan.makers:
        data[name] = make()
    embedded = False
    for stored_name, value in son.items():
        known = plan.by_stored_name.get(stored_name)
        if known is None:
            if stored_name == "_cls":
                continue
            return cls._from_son(son)  # a field outside the class (strict refuses it, or it is kept as is): rare
        name, field = known
        if value is None:
            if name in plan.constants:
                continue
            data[name] = None if field.null else field.default()
        elif name in plan.references:
            data[name] = value  # attach_references turns the ids into documents
        else:
            data[name] = field.to_python(value)
            embedded = embedded or name in plan.embedded
    record = cls.__new__(cls)
    object.__setattr__(record, "_initialised", False)
    object.__setattr__(record, "_created", False)
    object.__setattr__(record, "_data", data)
    object.__setattr__(record, "_dynamic_fields", {})
    if embedded:
        for name in plan.embedded:
            value = data.get(name)
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, EmbeddedDocument):
                    item._instance = weakref.proxy(record)
    if "_cls" not in plan.fields:  # an inheriting class keeps it as a field, others as an attribute
        record.__dict__["_cls"] = son.get("_cls", cls._class_name)
    for name, field in plan.choices:
        record.__dict__[f"get_{name}_display"] = functools.partial(record._BaseDocument__get_field_display,
                                                                    field=field)
    object.__setattr__(record, "_initialised", True)
    object.__setattr__(record, "_changed_fields", [])
    return record


def _reference_id(value):
    if isinstance(value, DBRef):
        return value.id
    if isinstance(value, BaseDocument):
        return value.pk
    return value if isinstance(value, ObjectId) else None


def _references_held(records: list):
    """(record, field name, referenced class, is a list, value) of each reference a record holds."""
    for record in records:
        for name, (target, many) in _plan(type(record)).references.items():
            value = record._data.get(name)
            if value is not None:
                yield record, name, target, many, value


def _found_or_reference(known: dict, field, value):
    found = known.get(_reference_id(value))
    return found if found is not None else field.to_python(value)


def attach_references(records: list, depth: int = REFERENCE_DEPTH) -> list:
    """Replace the reference ids the records hold by the documents they name (one read
    per referenced kind), and theirs down to ``depth``, as ``select_related()`` does.
    A reference to a record that is not there stays a DBRef, as mongoengine leaves it."""
    if not records:
        return records
    wanted: dict = {}
    if depth >= 1:
        for _record, _name, target, many, value in _references_held(records):
            ids = wanted.setdefault(target, set())
            ids.update(item_id for item in (value if many else (value,))
                       if (item_id := _reference_id(item)) is not None)
    loaded: dict = {}
    for target, ids in wanted.items():
        found = [built_record(target, son) for son in target._get_collection().find({"_id": {"$in": list(ids)}})]
        attach_references(found, depth - 1)
        loaded[target] = {record.pk: record for record in found}
    for record, name, target, many, value in list(_references_held(records)):
        known = loaded.get(target, {})
        field = record._fields[name]
        if not many:
            record._data[name] = _found_or_reference(known, field, value)
            continue
        attached = BaseList([_found_or_reference(known, field.field, item) for item in value], record, name)
        if known:
            attached._dereferenced = True
        record._data[name] = attached if known else list(attached)
    return records


def built_records(document_class, rows: Iterable[dict], depth: int = REFERENCE_DEPTH) -> list:
    """The documents of raw rows with their references attached (``select_related()``)."""
    with collection_paused():
        return attach_references([built_record(document_class, son) for son in rows], depth)


def related(queryset) -> list:
    """A queryset's records with their references attached: ``list(queryset.select_related())``."""
    return built_records(queryset._document, queryset.as_pymongo())


_pauses = {"depth": 0, "was_enabled": False}
_pauses_lock = threading.Lock()


@contextlib.contextmanager
def collection_paused():
    """Python's cycle collector paused while many objects are made that all stay alive
    (the records of an export and the cells written from them). Every so many new
    objects the collector walks all the objects alive, and these only add to them:
    building 5,000 archives took five times as long with it running. It runs again
    when the last pause ends (pauses of threads at once nest)."""
    with _pauses_lock:
        if _pauses["depth"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["depth"] += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses["depth"] -= 1
            if _pauses["depth"] == 0 and _pauses["was_enabled"]:
                gc.enable()
