"""Fields that hold an ID number or sensitive content, and who may read them.

A field is declared once, on its model, with a field attribute:
``StringField(..., sensitive=ID_NUMBER)`` or ``sensitive=CONTENT``. Every place that
shows, exports or searches a value asks this module, so a new output or a new role
follows the same rule:

- roles in ``FULL_VIEW_ROLES`` (社工, 项目主管) see every value in full;
- every other role (管理者, 系统管理员) sees an ID number masked (4503**********1234)
  and sensitive content not at all ("（无权查看）"), in lists, record pages, prints,
  exports, the audit trail and reports alike.
"""

import re

from mongoengine import Document, EmbeddedDocumentField, ListField
from mongoengine.base import _document_registry

from . import idnumber
from .inputs import ID_NUMBER  # one marker: an ID-number field is sensitive and typed as one

CONTENT = "content"
#: An embedded document with an ID number among its fields (a parent): its text is
#: shown with every ID number in it masked.
HOLDS_ID_NUMBER = "holds_id_number"

#: Roles that see full ID numbers and sensitive content (README: 各角色怎么用).
FULL_VIEW_ROLES = frozenset({"staff", "coordinator"})
HIDDEN = "（无权查看）"

_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


def may_see(role: str | None) -> bool:
    """Whether ``role`` sees ID numbers and sensitive content in full."""
    return role in FULL_VIEW_ROLES


def sensitivity(field) -> str | None:
    """ID_NUMBER, CONTENT, HOLDS_ID_NUMBER or None for a model field (None too)."""
    if field is None:
        return None
    declared = getattr(field, "sensitive", None)
    if declared:
        return declared
    if isinstance(field, ListField):
        return sensitivity(field.field)
    if isinstance(field, EmbeddedDocumentField):
        kinds = {sensitivity(inner) for inner in field.document_type._fields.values()}
        if CONTENT in kinds:
            return CONTENT
        if kinds & {ID_NUMBER, HOLDS_ID_NUMBER}:
            return HOLDS_ID_NUMBER
    return None


def mask_id_numbers(text: str) -> str:
    """The text with every ID number in it masked."""
    return _ID_NUMBER_IN_TEXT.sub(lambda match: idnumber.mask(match.group(0)), text)


def visible_value(field, value, role: str | None):
    """``value`` of ``field`` as a user of ``role`` may see it."""
    kind = sensitivity(field)
    if kind is None or may_see(role) or value is None or value == "" or value == []:
        return value
    if kind == CONTENT:
        return HIDDEN
    if kind == ID_NUMBER:
        return idnumber.mask(str(value))
    return mask_id_numbers(value) if isinstance(value, str) else value  # a document shows its own __str__


def sensitive_fields(document_class) -> dict[str, str]:
    """{field name: kind} of a document class's declared fields."""
    return {name: kind for name, field in document_class._fields.items() if (kind := sensitivity(field))}


def field_of_collection(collection: str | None, name: str):
    """The field stored as ``name`` by the documents kept in ``collection`` (any kind
    kept there: a child's field in the archives), or None. The audit trail names a
    change by collection and stored field name."""
    return _collection_fields().get(collection or "", {}).get(name)


_cache: dict = {"size": -1, "fields": {}}


def _collection_fields() -> dict:
    """{collection: {stored name: field}}, rebuilt when a document class is added."""
    if _cache["size"] != len(_document_registry):
        found: dict = {}
        for document_class in list(_document_registry.values()):
            if not issubclass(document_class, Document) or document_class._meta.get("abstract"):
                continue
            kept = found.setdefault(document_class._get_collection_name(), {})
            for field in document_class._fields.values():
                # a declared field wins over an undeclared namesake of another kind in the collection
                if field.db_field not in kept or sensitivity(field):
                    kept[field.db_field] = field
        _cache.update(size=len(_document_registry), fields=found)
    return _cache["fields"]


def visible_change(collection: str | None, change, role: str | None) -> tuple[str, str]:
    """(old, new) of an audit entry's field change as ``role`` may see them: the
    trail keeps what was written; what is shown is masked here."""
    field = field_of_collection(collection, change.field)
    return visible_value(field, change.old, role), visible_value(field, change.new, role)


def search_condition(field, term: str, role: str | None) -> dict | None:
    """The raw condition a search ``term`` makes on ``field`` for ``role``, or None
    when the role may not search that field by this term. A role that sees masked
    numbers finds a person by a complete, valid ID number only (exact match): a part
    of a number would let it recover the rest a digit at a time; sensitive content is
    not searched for it at all."""
    kind = sensitivity(field)
    if kind is None or may_see(role):
        return {field.db_field: {"$regex": re.escape(term), "$options": "i"}}
    if kind == ID_NUMBER:
        number = idnumber.normalise(term)
        try:
            idnumber.parse(number)
        except idnumber.IdNumberError:
            return None
        return {field.db_field: number}
    return None
