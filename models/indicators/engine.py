"""The engine that measures an indicator from the records: the scope it covers, the
measurement it gives (achieved / target / share / expected by today / status /
forecast, a monthly series, a per-township breakdown, the records that count and
those that almost count), and the ``@measures`` registry the measure modules of
each area fill. Every measure issues a fixed number of queries, whatever the number
of records: it groups on stored period keys or reads only the fields it needs in one
batch. The engine names no area's records: the measures do."""

import datetime as dt
import math
import threading
from collections import Counter
from dataclasses import dataclass, field

from ..base import WHOLE_RESULT, ask_at_once
from ..contracts import Contract
from ..errors import DomainError
from ..indicator_terms import OPERATOR_SIGNS, STATUS_LABELS
from ..periods import period_key, period_label, periods_between
from ..reference import Township
from ..rules import compare
from .document import Indicator, indicators_for, unit_of
from .evidence import Evidence

DEFAULT_LAGGING_SHARE = 0.8


@dataclass
class Scope:
    """What a measurement covers: a contract period up to a day, and a user's townships."""

    contract: Contract
    today: dt.date
    townships: list | None = None
    detail: bool = True  # False for the overview: no near misses, only the figures
    memo: dict = field(default_factory=dict)  # what several measures read, read once per scope
    _locks: dict = field(default_factory=dict, repr=False)  # a lock per memo key (measures run in threads)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def remembered(self, key, read):
        """``read()``, read once per scope: a second caller, in another thread too, waits for
        the first one's answer."""
        if key in self.memo:
            return self.memo[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.memo:
                self.memo[key] = read()
        return self.memo[key]

    def township_names(self) -> dict:
        return self.remembered("township_names", township_names)

    def period_match(self, date_field: str, query: dict, township_field: str | None = "township") -> dict:
        """``query`` limited to the records dated in the period and placed in the user's townships."""
        match = {**query, **self.between(date_field), "voided": False}
        return self.scoped(match, township_field) if township_field else match

    def select(self, document, date_field: str, query: dict, township_field: str | None = "township",
               fields: tuple | None = None) -> list[dict]:
        """The period's records of ``document`` that match ``query`` (with only ``fields`` when
        given, else without photos): one indexed query, answered by the database."""
        projection = dict.fromkeys((*fields, *([township_field] if township_field else [])), 1) \
            if fields else {"photos": 0}
        return list(document._get_collection().find(self.period_match(date_field, query, township_field),
                                                    projection, batch_size=WHOLE_RESULT))

    def records(self, document, date_field: str, query: dict, township_field: str | None = "township",
                limit: int | None = None) -> list:
        """The matching records (up to ``limit``), newest first, as documents: the near misses a
        detail page lists (the overview asks for none)."""
        if not self.detail:
            return []
        raw = self.period_match(date_field, query, township_field)
        cursor = document._get_collection().find(raw, {"photos": 0}, batch_size=limit or WHOLE_RESULT).sort(
            [(date_field, -1), ("_id", -1)])
        if limit:
            cursor = cursor.limit(limit)
        return [document._from_son(row) for row in cursor]

    @property
    def start(self) -> dt.date:
        return self.contract.start_date.date()

    @property
    def end(self) -> dt.date:
        return self.contract.end_date.date()

    @property
    def until(self) -> dt.date:
        """The last day that counts: today, or the contract's end when it is over."""
        return max(min(self.end, self.today), self.start - dt.timedelta(days=1))

    def between(self, field_name: str) -> dict:
        return {field_name: {"$gte": dt.datetime.combine(self.start, dt.time()),
                             "$lte": dt.datetime.combine(self.until, dt.time.max)}}

    def scoped(self, match: dict, field_name: str = "township") -> dict:
        match = {**match, "voided": False}
        if self.townships is not None:
            match[field_name] = {"$in": list(self.townships)}
        return match

    @property
    def elapsed_share(self) -> float:
        total = (self.end - self.start).days + 1
        done = (self.until - self.start).days + 1
        return min(max(done / total, 0.0), 1.0) if total > 0 else 1.0

    def months(self) -> list[str]:
        return periods_between("month", self.start, self.end)


@dataclass
class Measurement:
    indicator: Indicator
    achieved: float = 0
    target: float = 0
    expected: float = 0
    status: str = "at_risk"
    forecast: float | None = None
    series: list = field(default_factory=list)  # [(month key, value)]
    breakdown: list = field(default_factory=list)  # [(township name, value)]
    evidence: Evidence | None = None
    near_misses: list = field(default_factory=list)  # [(record, reason)]
    near_document: type | None = None  # the document of near misses read as rows ({"_id": ...}), if any
    items: list = field(default_factory=list)  # checklist items, periods, rule checks
    item_title: str = ""
    note: str = ""
    extra_met: bool = True  # a second condition of the indicator (e.g. every township covered)
    lost: list = field(default_factory=list)  # why the requirement can no longer be met in full (past periods missed)
    problem: str = ""  # why the indicator could not be measured (a rule that cannot be evaluated)
    counted: int | None = None  # how many records (or people in periods) the figure counts: the evidence's size

    @property
    def share(self) -> float | None:
        return (self.achieved / self.target) if self.target else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def percent(self) -> float:
        return min((self.share or 0) * 100, 100)

    @property
    def unit(self) -> str:
        return unit_of(self.indicator)

    def quantity(self, value) -> str:
        """A value of this indicator with its unit: a percentage to one decimal, else a whole number."""
        if value is None:
            return ""
        if self.unit == "%":
            return f"{plain_number(round(float(value), 1))}%"
        return f"{whole(value)}{self.unit}"

    def achieved_text(self) -> str:
        return self.quantity(self.achieved)

    def expected_text(self) -> str:
        return self.quantity(self.expected)

    def forecast_text(self) -> str:
        return self.quantity(self.forecast)

    def target_text(self) -> str:
        return f"{OPERATOR_SIGNS.get(self.indicator.op, '')} {self.quantity(self.target)}"


def whole(value) -> int:
    """A count to show: the nearest whole number (half up)."""
    return int(math.floor(float(value) + 0.5))


def plain_number(value) -> str:
    """A number as the pages write it: a float to one decimal without trailing zeros."""
    if value is None:
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


MEASURES: dict = {}
SHARED_READS: dict = {}  # code -> the read ``(scope)`` its measure shares with others (remembered on the scope)


def measures(*codes, reads=None):
    """Register a function ``(measurement, indicator, scope)`` as the measure of ``codes``;
    ``reads(scope)`` is a larger read it shares with other measures (``measure_all`` starts
    it first and measures the rest meanwhile)."""
    def register(function):
        for code in codes:
            MEASURES[code] = function
            if reads is not None:
                SHARED_READS[code] = reads
        return function

    return register


def township_names() -> dict:
    return {t["_id"]: t["name"] for t in Township._get_collection().find({}, {"name": 1})}


def counted_by(rows: list[dict], key: str) -> dict:
    """{value of ``key``: number of rows}."""
    return dict(Counter(row.get(key) for row in rows))


def grouped(document, match: dict, key: str, total: str | int = 1) -> dict:
    rows = document._get_collection().aggregate([{"$match": match}, {"$group": {"_id": f"${key}", "n": {"$sum": total}}}],
                                                batchSize=WHOLE_RESULT)
    return {row["_id"]: row["n"] for row in rows}


def count_measure(m: Measurement, document, match: dict, scope: Scope, date_field: str,
                  township_field: str | None = "township") -> None:
    """Achieved = number of matching records; series by stored month key; breakdown by township.
    Counted by the database (a count per month and per township), not by reading the records."""
    match = scope.period_match(date_field, match, township_field)
    by_month = grouped(document, match, "month")
    m.achieved = sum(by_month.values())
    m.series = [(month, by_month.get(month, 0)) for month in scope.months()]
    if township_field:
        names = scope.township_names()
        by_township: Counter = Counter()
        for township, n in grouped(document, match, township_field).items():
            by_township[names.get(township, "未填写")] += n
        m.breakdown = sorted(by_township.items(), key=lambda pair: -pair[1])
    m.evidence = Evidence(document, match, f"-{date_field}", date_field, total=m.achieved)
    m.counted = m.achieved


def months_grid(m: Measurement, scope: Scope, by_month: dict, per_period: float) -> None:
    current = period_key("month", scope.today)
    m.items = [{"label": period_label("month", month), "key": month, "part": month, "count": by_month.get(month, 0),
                "done": by_month.get(month, 0) >= per_period, "current": month == current, "future": month > current}
               for month in scope.months()]
    m.item_title = "逐月"
    m.series = [(month, by_month.get(month, 0)) for month in scope.months()]
    missed = [i["label"] for i in m.items if not i["done"] and not i["current"] and not i["future"]]  # labels shown
    m.extra_met = m.extra_met and not missed
    if missed:
        m.note = f"已结束的月份中 {len(missed)} 个未达标：" + "、".join(missed) + "。"
        m.lost.append(f"每月不少于 {plain_number(per_period)} 次，已有 {len(missed)} 个月未达到")


def status_of(m: Measurement, indicator: Indicator, scope: Scope, lagging_share: float) -> str:
    if compare(m.achieved, {"op": indicator.op, "value": indicator.target}) and m.extra_met and not m.lost:
        return "met"
    if m.lost:  # a past period already missed: it can no longer be met in full, whatever the count
        return "at_risk"
    if m.achieved >= m.expected - 1e-9:
        return "on_track"
    if m.achieved >= lagging_share * m.expected:
        return "lagging"
    return "at_risk"


def measure(indicator: Indicator, scope: Scope, lagging_share: float = DEFAULT_LAGGING_SHARE) -> Measurement:
    """Measure one indicator. An indicator whose records do not exist yet shows 0."""
    m = Measurement(indicator=indicator, target=indicator.target)
    function = MEASURES.get(indicator.code)
    if function is None:
        m.note = "尚无此指标的计算方法（代码不在系统支持的范围内）。"
    else:
        try:
            function(m, indicator, scope)
        except (DomainError, KeyError, TypeError, ValueError) as exc:
            # a rule it names is gone or malformed (stored before the integrity check, or edited around it)
            reason = exc.message if isinstance(exc, DomainError) else f"规则缺少或有误的项目：{exc}"
            m = Measurement(indicator=indicator, target=indicator.target,
                            problem=f"无法计算：{reason} 请在“参考数据 → 业务规则”或本指标的计算参数中修正。")
    if indicator.kind in ("count",) or (indicator.kind == "periodic" and indicator.period == "month"
                                        and indicator.target > 1):
        m.expected = round(indicator.target * scope.elapsed_share, 1)
        m.forecast = round(m.achieved / scope.elapsed_share, 1) if scope.elapsed_share else None
    elif indicator.kind == "checklist":
        m.expected = round(m.target * scope.elapsed_share, 1)
    else:
        m.expected = indicator.target
    m.status = status_of(m, indicator, scope, lagging_share)
    return m


def measure_all(contract: Contract, today: dt.date, townships: list | None = None) -> list[Measurement]:
    """Every indicator of ``contract``. The shared reads (``SHARED_READS``) are asked in one
    thread while the indicators that need none are measured in another; then the rest."""
    scope = Scope(contract, today, townships, detail=False)
    lagging = contract.lagging_share or DEFAULT_LAGGING_SHARE
    indicators = indicators_for(contract)
    reads = list(dict.fromkeys(SHARED_READS[i.code] for i in indicators if i.code in SHARED_READS))
    alone = [i for i in indicators if i.code not in SHARED_READS]
    _, measured = ask_at_once(lambda: [read(scope) for read in reads],
                              lambda: [measure(indicator, scope, lagging) for indicator in alone])
    found = dict(zip((i.pk for i in alone), measured, strict=True))
    return [found[i.pk] if i.pk in found else measure(i, scope, lagging) for i in indicators]

