"""Two short cuts for mongomock (the in-memory database of demo mode and the tests),
each giving the answer mongomock's own code gives.

mongomock finds a record by ``_id`` by testing every document of its collection
against the filter, and checks a unique index after every insert and update the
same way: writing n records one by one costs n² filter tests. Generating 3,000
demo archives and marking their visits took two and a half minutes of a test.

- A filter that is exactly ``{"_id": value}`` (a scalar value) is answered from the
  collection's dictionary of documents, which is keyed by ``_id``.
- A unique index's check skips, without the filter machinery, each document whose
  value of a (top-level) key of the index is of the same type as the new record's
  and differs from it, or that has no such key while the new record's value is not
  null: such a document cannot match the check's filter. Every other document is
  tested with mongomock's filter as before."""

import datetime as dt

from bson import ObjectId
from mongomock import DuplicateKeyError, helpers
from mongomock.collection import Collection as MockCollection
from mongomock.filtering import filter_applies

#: Values equal only to a value of their own type, compared with ``==``.
SCALARS = (str, ObjectId, int, float, bool, dt.datetime)


def _by_id(self, filter):
    """``_iter_documents`` of mongomock, answered from the documents' dictionary
    when the filter is one ``_id`` equal to a scalar."""
    if type(filter) is dict and len(filter) == 1 and type(filter.get("_id")) in (ObjectId, str):
        store = self._store
        store._remove_expired_documents()
        with store._rwlock.reader():
            found = store._documents.get(filter["_id"])
        return iter(() if found is None else (found,))
    return _original["_iter_documents"](self, filter)


_MISSING = object()


def _may_match(documents: list, key: str, value) -> list:
    """The documents that ``{key: value}`` may match: a top-level key holding a value of
    the value's type that differs from it, or not there at all, cannot."""
    if "." in key or type(value) not in SCALARS:
        return documents
    kind = type(value)
    return [document for document in documents
            if (held := document.get(key, _MISSING)) == value or (held is not _MISSING and type(held) is not kind)]


def _unique_checks(self, new_data):
    """``_ensure_uniques`` of mongomock: the same filters and the same answer."""
    for index in self._store.indexes.values():
        if not index.get("unique"):
            continue
        wanted = {}
        for key, _direction in index.get("key"):
            try:
                wanted[key] = helpers.get_value_by_dot(new_data, key)
            except KeyError:
                wanted[key] = None
        if index.get("sparse") and set(wanted.values()) == {None}:
            continue
        partial = index.get("partialFilterExpression")
        full = wanted if partial is None else {"$and": [partial, wanted]}
        store = self._store
        store._remove_expired_documents()
        with store._rwlock.reader():
            candidates = list(store._documents.values())
        for key, value in wanted.items():
            candidates = _may_match(candidates, key, value)
        if sum(1 for document in candidates if filter_applies(full, document)) > 1:
            raise DuplicateKeyError("E11000 Duplicate Key Error", 11000)


_original: dict = {}


def speed_up_mongomock() -> None:
    """Install the short cuts (idempotent)."""
    for name, replacement in (("_iter_documents", _by_id), ("_ensure_uniques", _unique_checks)):
        if name not in _original:
            _original[name] = getattr(MockCollection, name)
            setattr(MockCollection, name, replacement)
