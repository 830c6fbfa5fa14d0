"""The indicator overview holds every archive in scope at once (scope_archives): the
values archives share are kept once, and no archive reads differently for it."""

import copy

import bson
from bson import ObjectId
from hypothesis import given
from hypothesis import strategies as st

from models.indicators.archive_measures import shared_values

IDS = [ObjectId() for _ in range(3)]
scalars = st.one_of(st.sampled_from(["2026-12", "2026-W49", "active", "Archive.ChildArchive", "2"]),
                    st.sampled_from(IDS), st.booleans(), st.none(), st.integers(-5, 5))
rows = st.dictionaries(st.sampled_from(["_cls", "status", "township", "visited_periods", "categories", "complete"]),
                       st.one_of(scalars, st.lists(scalars, max_size=4)), max_size=6)


@given(st.lists(rows, min_size=1, max_size=6))
def test_shared_values_read_as_they_were_and_are_kept_once(generated):
    decoded = [bson.decode(bson.encode(row)) for row in generated]  # fresh objects, as the driver gives them
    shared: dict = {}
    compact = [shared_values(copy.deepcopy(row), shared) for row in decoded]
    assert compact == decoded
    seen: dict = {}
    for row in compact:
        for value in row.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, (str, ObjectId)):
                    assert seen.setdefault(item, item) is item  # one object for each value
