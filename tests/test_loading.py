"""models.loading builds the same records as mongoengine: for every stored record of
every collection (the demo data, the services, the operations, the visits, and a
record of every other kind as the view matrix's factory makes it), and for
any projection of it with any of its values stored as null, ``built_records`` gives
what ``_from_son`` followed by ``select_related()`` gives."""

import pytest
from bson import DBRef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mongoengine import Document
from mongoengine.base import _document_registry
from mongoengine.dereference import DeReference

from models.base import TrackedDocument, _root_classes
from models.loading import built_records
from models.reference import Township
from seeds.demo import (
    generate_demo_data,
    generate_operations,
    generate_services,
    generate_visits_and_patrols,
)

from . import test_view_matrix as matrix


def _same_value(ours, theirs) -> bool:
    if isinstance(theirs, Document) or isinstance(ours, Document):
        return type(ours) is type(theirs) and ours.pk == theirs.pk
    if isinstance(theirs, DBRef) or isinstance(ours, DBRef):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(theirs, (list, tuple)):
        return isinstance(ours, (list, tuple)) and len(ours) == len(theirs) and all(
            _same_value(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and ours.keys() == theirs.keys() and all(
            _same_value(ours[k], theirs[k]) for k in theirs)
    return type(ours) is type(theirs) and ours == theirs


def assert_same_record(ours, theirs) -> None:
    assert type(ours) is type(theirs)
    assert ours._data.keys() == theirs._data.keys()
    assert sorted(ours.__dict__) == sorted(theirs.__dict__)  # _cls and the get_<field>_display methods
    assert (ours._created, ours._initialised, ours._changed_fields) == \
        (theirs._created, theirs._initialised, theirs._changed_fields)
    for name in theirs._fields:
        assert _same_value(getattr(ours, name), getattr(theirs, name)), name
        display = f"get_{name}_display"
        if display in theirs.__dict__:
            assert getattr(ours, display)() == getattr(theirs, display)()
    assert ours._changed_fields == theirs._changed_fields == []  # reading marks nothing as changed
    assert ours.to_mongo() == theirs.to_mongo()


def mongoengine_records(document_class, rows: list[dict]) -> list:
    return DeReference()([document_class._from_son(dict(row)) for row in rows], max_depth=2)  # select_related()


@pytest.fixture
def stored(app, monkeypatch):
    """{root class: its stored rows} after the demo data, services, operations and visits."""
    monkeypatch.setattr(matrix, "SEQUENCE", iter(range(100, 1000)))  # the matrix's own stay unused
    with app.app_context():
        generate_demo_data(30)
        generate_services(40)
        generate_operations()
        generate_visits_and_patrols(weeks=4)
        factory = matrix.Factory({t.name: t for t in Township.objects})
        for document_class in _document_registry.values():  # and one record of every other kind
            if issubclass(document_class, TrackedDocument) and not document_class._meta.get("abstract"):
                factory.record(document_class, matrix.OWN)
        rows = {}
        for _name, document_class in sorted(_root_classes().items()):
            found = list(document_class._get_collection().find())
            if found:
                rows[document_class] = found
        yield rows


def test_every_stored_record_is_built_as_mongoengine_builds_it(app, stored):
    tracked = {c for c in _root_classes().values() if issubclass(c, TrackedDocument)}
    assert tracked <= set(stored), sorted(c.__name__ for c in tracked - set(stored))
    with app.app_context():
        for document_class, rows in stored.items():
            for ours, theirs in zip(built_records(document_class, rows), mongoengine_records(document_class, rows),
                                    strict=True):
                assert_same_record(ours, theirs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_projection_with_nulls_is_built_as_mongoengine_builds_it(app, stored, data):
    """What ``.only()`` reads (any fields, the id and class always) with any values
    stored as null: the defaults, the references and the lists come out the same."""
    with app.app_context():
        document_class = data.draw(st.sampled_from(sorted(stored, key=lambda c: c.__name__)))
        rows = stored[document_class]
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        optional = sorted(key for key in row if key not in ("_id", "_cls"))
        kept = data.draw(st.sets(st.sampled_from(optional)) if optional else st.just(set()))
        nulled = data.draw(st.sets(st.sampled_from(sorted(kept))) if kept else st.just(set()))
        projected = {key: (None if key in nulled else value) for key, value in row.items()
                     if key in kept or key in ("_id", "_cls")}
        [ours] = built_records(document_class, [projected])
        [theirs] = mongoengine_records(document_class, [projected])
        assert_same_record(ours, theirs)


def test_a_reference_to_a_missing_record_stays_a_reference(app, stored):
    from models.archives import Archive

    with app.app_context():
        row = dict(next(r for r in stored[Archive] if r.get("community")))
        row["community"] = type(row["community"])()  # an id no record has
        [ours] = built_records(Archive, [row])
        [theirs] = mongoengine_records(Archive, [row])
        assert isinstance(ours._data["community"], DBRef)
        assert ours._data["community"] == theirs._data["community"]
        assert ours.to_mongo() == theirs.to_mongo()
