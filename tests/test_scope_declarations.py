"""Every kind of record declares its scope decision: the field that places it in a
township (a user limited to some townships sees only their records), or
DISTRICT_WIDE on purpose. A new kind without a decision fails here."""

import mongoengine
from mongoengine.base import _document_registry

from models.base import DISTRICT_WIDE
from models.reference import Township


def _concrete_documents():
    import views.registry  # noqa: F401  (imports every model the app registers)

    return [cls for name, cls in sorted(_document_registry.items())
            if issubclass(cls, mongoengine.Document) and not cls._meta.get("abstract")]


def _refers_to_township(field) -> bool:
    inner = getattr(field, "field", None) if isinstance(field, mongoengine.ListField) else field
    if isinstance(inner, mongoengine.ObjectIdField):  # a township's id kept bare (the visit tallies)
        return "township" in field.name
    return isinstance(inner, mongoengine.ReferenceField) and inner.document_type is Township


def test_every_document_declares_its_scope():
    undeclared = [cls.__name__ for cls in _concrete_documents() if not hasattr(cls, "scope_field")]
    assert not undeclared, f"没有声明范围（scope_field = 字段名 或 DISTRICT_WIDE）：{undeclared}"


def test_a_scope_field_places_the_record_in_townships():
    for cls in _concrete_documents():
        field = cls.scope_field
        if field is DISTRICT_WIDE or cls is Township:
            continue
        assert field in cls._fields, f"{cls.__name__}.scope_field = {field!r} 不是字段"
        assert _refers_to_township(cls._fields[field]), f"{cls.__name__}.{field} 不是街道/乡镇引用"


def test_every_view_shows_a_declared_kind(app):
    from flask_admin.contrib.mongoengine import ModelView

    models = [view.model for view in app.extensions["admin"][0]._views if isinstance(view, ModelView)]
    assert models and all(hasattr(model, "scope_field") for model in models)


def test_a_document_without_a_decision_is_caught():
    class Undecided(mongoengine.Document):
        meta = {"collection": "undecided_for_test"}

    try:
        assert not hasattr(Undecided, "scope_field")
        assert Undecided in _concrete_documents()
    finally:
        _document_registry.pop("Undecided", None)


def test_donations_are_scoped_by_township():
    from models.charity import Donation

    assert Donation.scope_field == "township"
