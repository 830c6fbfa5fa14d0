"""The archive measures count from one pass over the archives (``archive_tallies``) and
keep only counts: a city's 100,000 archives stream through the same memory as a
district's. The compliance they fold (``ComplianceFold``) is checked against the rule
said plainly, on generated people; the memory on generated archives streamed through
the tallies."""

import datetime as dt
import tracemalloc
from collections import Counter

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.contracts import current_contract
from models.indicators import Scope, archive_measures
from models.periods import period_bounds, periods_between
from models.reference import PersonCategory
from models.visits import ComplianceFold, cohort_filter, in_cohort, policies, tag_for
from models.visits.cadence import _level_on

START, END = dt.date(2026, 1, 1), dt.date(2026, 11, 30)
CLASSES = ("Archive.ChildArchive", "Archive.ElderlyArchive", "Archive.HomelessArchive")
LEVELS = ("1", "2", "3")


def moment(day_number: int) -> dt.datetime:
    return dt.datetime.combine(START, dt.time(9)) + dt.timedelta(days=day_number)


def marks_of(keys_and_counts) -> list[str]:
    """The marks (``visit_tags``) of the counted visits per period key."""
    marks = []
    for key, count in keys_and_counts:
        marks += [key] + [f"{key}#{n}" for n in range(2, count + 1)]
    return marks


def all_period_keys() -> list[str]:
    return [key for period in ("week", "month", "quarter", "year") for key in periods_between(period, START, END)]


@st.composite
def people(draw, category_ids, townships):
    keys = all_period_keys()
    found = []
    for index in range(draw(st.integers(0, 12))):
        history = sorted((moment(draw(st.integers(-30, 330))), draw(st.sampled_from(LEVELS)))
                         for _ in range(draw(st.integers(0, 3))))
        found.append(({
            "_id": ObjectId(), "name": f"人{index}", "_cls": draw(st.sampled_from(CLASSES)),
            "status": draw(st.sampled_from(("active", "active", "closed"))), "voided": False,
            "township": draw(st.sampled_from(townships)),
            "categories": draw(st.lists(st.sampled_from(category_ids), max_size=2, unique=True)),
            "risk_level": draw(st.sampled_from((*LEVELS, None))),
            "archive_date": draw(st.one_of(st.none(), st.integers(-60, 330).map(moment))),
            "visited_periods": marks_of(draw(st.lists(st.tuples(st.sampled_from(keys), st.integers(1, 3)),
                                                      max_size=8, unique_by=lambda pair: pair[0])))},
            history or None))
    return found


def plainly(item: dict, people_with_history: list, today: dt.date) -> dict:
    """{period key: (due, visited, misses per township)}, the rule said plainly."""
    raw = cohort_filter(item)
    levels = item.get("risk_levels")
    raw.pop("risk_level", None)
    result = {}
    for key in periods_between(item["period"], START, END):
        _, end = period_bounds(item["period"], key)
        due = visited = 0
        misses: Counter = Counter()
        for person, history in people_with_history:
            if not in_cohort(person, raw):
                continue
            if person["archive_date"] and person["archive_date"].date() > end:
                continue
            cutoff = dt.datetime.combine(min(end, today), dt.time.max)
            if levels and _level_on(history, cutoff, person["risk_level"]) not in levels:
                continue
            due += 1
            if tag_for(item, key) in person["visited_periods"]:
                visited += 1
            else:
                misses[person["township"]] += 1
        result[key] = (due, visited, misses)
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_fold_counts_every_policy_as_the_rule_says(app, townships, data):
    category_ids = [c.pk for c in PersonCategory.objects.only("id")]
    generated = data.draw(people(category_ids, [t.pk for t in townships.values()]))
    items = policies()
    today = END
    fold = ComplianceFold(items, START, END)
    for person, history in generated:
        fold.add(person, history)
    for item in items:
        expected = plainly(item, generated, today)
        folded = {row["key"]: (row["due"], row["visited"], +row["missed_by_township"])
                  for row in fold.periods(item["code"])}
        assert folded == expected, item["code"]


class StreamedArchives:
    """An archive collection whose ``find`` makes its rows as they are read (none is held)."""

    def __init__(self, count: int, townships: list, category_ids: list):
        self.count, self.townships, self.category_ids = count, townships, category_ids
        self.keys = periods_between("month", START, END) + periods_between("week", START, END)

    def find(self, *args, **kwargs):
        for index in range(self.count):
            yield {"_id": ObjectId(), "_cls": CLASSES[index % 3], "status": "active", "voided": False,
                   "township": self.townships[index % len(self.townships)],
                   "categories": [self.category_ids[index % len(self.category_ids)]],
                   "risk_level": LEVELS[index % 3], "archive_date": moment(index % 300), "complete": index % 4 != 0,
                   # a dozen or more marks an archive, each a new string as the driver decodes them
                   "visited_periods": ["" + key for key in self.keys[index % 7::4]]}


def tally_peak(monkeypatch, contract, count: int, townships, category_ids) -> tuple[int, object]:
    stream = StreamedArchives(count, townships, category_ids)
    monkeypatch.setattr(archive_measures.Archive, "_get_collection", classmethod(lambda cls: stream))
    scope = Scope(contract, END, detail=False)
    scope.memo["risk_history"] = {}
    tracemalloc.start()
    try:
        tallies = archive_measures.archive_tallies(scope)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, tallies


def test_the_tallies_of_many_archives_take_the_memory_of_a_few(app, townships, monkeypatch):
    """20,000 archives streamed through the tallies: the memory at the peak is that of 500,
    give or take a small margin, where holding them would take about 1 KB each."""
    contract = current_contract(END)
    category_ids = [c.pk for c in PersonCategory.objects.only("id")]
    ids = [t.pk for t in townships.values()]
    policies()  # the rules read and cached before measuring
    few, _ = tally_peak(monkeypatch, contract, 500, ids, category_ids)
    many, tallies = tally_peak(monkeypatch, contract, 20_000, ids, category_ids)
    assert many - few < 1_000_000, (few, many)
    children = sum(number for (_t, _c, _cats), number in tallies.children.items())
    assert children == len(range(0, 20_000, 3))
    elderly = tallies.cadence.periods("elderly_monthly")
    assert elderly and all(row["due"] <= 20_000 // 3 + 1 for row in elderly)


@pytest.mark.parametrize("detail", [True, False])
def test_the_evidence_of_a_period_cell_is_read_a_page_at_a_time(app, townships, detail):
    """The people a cell counts are read when its page is asked, skipping those of the
    cells before it: the pages put together are the cells' people, once each."""
    from models.indicators import indicators_for, measure

    from .archive_helpers import make_elder

    elder_category = PersonCategory.objects(code="oldest_old").first()
    people = [make_elder(next(iter(townships.values())), name=f"老人{n}", sequence=100 + n, categories=[elder_category],
                         archive_date=dt.datetime(2026, 1, 5)) for n in range(7)]
    for person in people:  # visited in March and April (the marks the visit service keeps)
        type(person)._get_collection().update_one({"_id": person.pk},
                                                  {"$set": {"visited_periods": ["2026-03", "2026-04"]}})
    contract = current_contract(END)
    indicator = next(i for i in indicators_for(contract) if i.code == "visits.elderly_monthly")
    m = measure(indicator, Scope(contract, END, detail=detail))
    evidence = m.evidence
    assert evidence.cell_totals["elderly_monthly|2026-03"] == 7
    assert evidence.count() == m.counted == 14
    pages = [evidence.page(offset, 3) for offset in range(0, 15, 3)]
    listed = [entry["id"] for page in pages for entry in page]
    assert len(listed) == 14 and set(listed) == {p.pk for p in people}
    assert all(len(page) == 3 for page in pages[:4]) and len(pages[4]) == 2
    assert [entry["id"] for entry in evidence.part("elderly_monthly|2026-04").page(0, 50)] == \
        sorted(p.pk for p in people)
    # the last ended month (October): everyone missed it, listed on the detail page only (by name)
    missed = [(record["_id"], reason) for record, reason in m.near_misses]
    assert missed == ([(p.pk, "10月 未探访") for p in people] if detail else [])
