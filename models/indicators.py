"""Contract indicators and the engine that measures them from the records.

Each indicator is a document (seeded from ``seeds/indicators.json``, edited by
an admin): its kind, target, comparison, period and parameters. ``measure``
turns one indicator into achieved / target / share / expected by today /
status / forecast, a monthly series, a per-township breakdown, the records
that count (evidence) and those that almost count. Every measure issues a
fixed number of queries, whatever the number of records: it groups on stored
period keys or reads only the fields it needs in one batch."""

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field

from mongoengine import FloatField, IntField, ReferenceField, StringField

from .base import DISTRICT_WIDE, WHOLE_RESULT, TrackedDocument, ref_id
from .contracts import Contract
from .errors import DomainError
from .periods import period_bounds, period_key, period_label, periods_between
from .reference import ThemeTag, Township
from .rules import COMPARISONS, compare

AREAS = (("children", "儿童"), ("elderly", "养老"), ("rescue", "救助"), ("professional", "专业服务"),
         ("volunteers", "志愿者"), ("publicity", "宣传"), ("affairs", "事务"))
KINDS = (("count", "计数"), ("periodic", "逐期"), ("coverage", "覆盖率"), ("ratio", "比例"), ("checklist", "清单"),
         ("rule", "规则"))
OPERATORS = ((">=", "不少于（≥）"), (">", "多于（>）"), ("<=", "不超过（≤）"), ("<", "少于（<）"), ("==", "等于（=）"))
PERIODS = (("week", "每周"), ("month", "每月"))
STATUS_LABELS = {"met": "达标", "on_track": "正常", "lagging": "滞后", "at_risk": "风险"}
PERCENT_KINDS = ("coverage", "ratio", "rule")
DEFAULT_LAGGING_SHARE = 0.8


class Indicator(TrackedDocument):
    contract = ReferenceField(Contract, required=True, verbose_name="合同")
    code = StringField(required=True, max_length=40, regex=r"^[a-z_.]+$", verbose_name="代码")
    name = StringField(required=True, max_length=60, verbose_name="指标")
    area = StringField(required=True, choices=AREAS, verbose_name="领域")
    kind = StringField(required=True, choices=KINDS, verbose_name="类型")
    target = FloatField(required=True, verbose_name="目标值")
    op = StringField(required=True, choices=OPERATORS, default=">=", verbose_name="达标比较")
    unit = StringField(max_length=10, verbose_name="单位")
    period = StringField(choices=PERIODS, verbose_name="逐期周期")
    per_period = FloatField(verbose_name="每期最少")
    section = StringField(max_length=60, verbose_name="方案条款")
    rule = StringField(max_length=300, verbose_name="计算口径")
    params = StringField(default="{}", verbose_name="计算参数")
    sort_order = IntField(default=0, verbose_name="排序")

    meta = {"collection": "indicators", "ordering": ["sort_order"],
            "indexes": ["area", "kind", ("sort_order", "id"), {"fields": ["contract", "code"], "unique": True}]}
    scope_field = DISTRICT_WIDE  # the contract's indicators

    def __str__(self):
        return self.name or self.code or "指标"

    def duplicate_message(self, actor=None):
        return f"本合同已有代码为 {self.code} 的指标。"

    def parameters(self) -> dict:
        try:
            return json.loads(self.params or "{}")
        except json.JSONDecodeError:
            return {}

    def check_rules(self):
        if self.target is None or self.target <= 0:
            raise DomainError("目标值必须大于 0。", field="target")
        if self.kind in PERCENT_KINDS and self.target > 100:
            raise DomainError("比例类指标的目标值是百分数，不能超过 100。", field="target")
        if self.op not in COMPARISONS:
            raise DomainError("请选择达标比较方式。", field="op")
        if self.kind == "periodic" and (not self.period or not self.per_period or self.per_period <= 0):
            raise DomainError("逐期指标须选择周期，并填写大于 0 的每期最少次数。", field="per_period")
        try:
            if not isinstance(json.loads(self.params or "{}"), dict):
                raise ValueError
        except ValueError as exc:
            raise DomainError("计算参数须是 JSON 对象，例如 {\"audience\": \"volunteers\"}。", field="params") from exc
        from .rule_refs import check_indicator

        check_indicator(self)  # the visit policies, categories and themes it names exist


# ---------------------------------------------------------------- measuring


@dataclass
class Scope:
    """What a measurement covers: a contract period up to a day, and a user's townships."""

    contract: Contract
    today: dt.date
    townships: list | None = None
    detail: bool = True  # False for the overview: no near misses, only the figures
    memo: dict = field(default_factory=dict)  # what several measures read, read once per scope

    def remembered(self, key, read):
        if key not in self.memo:
            self.memo[key] = read()
        return self.memo[key]

    def archives(self) -> list[dict]:
        """Every archive in scope, with the fields the measures use: one read for all of them."""
        from .archives import Archive

        fields = {"_cls": 1, "name": 1, "township": 1, "categories": 1, "risk_level": 1, "archive_date": 1,
                  "complete": 1, "missing_items": 1, "status": 1, "worker": 1, "voided": 1}
        return self.remembered("archives", lambda: list(Archive._get_collection().find(
            self.scoped({}), fields, batch_size=WHOLE_RESULT)))

    def township_names(self) -> dict:
        return self.remembered("township_names", township_names)

    def risk_history(self) -> dict:
        from .assessments import RiskAssessment

        def read():
            history: dict = {}
            for row in RiskAssessment._get_collection().find({"voided": False},
                                                             {"person": 1, "assessed_on": 1, "final_level": 1},
                                                             batch_size=WHOLE_RESULT).sort([("assessed_on", 1), ("_id", 1)]):
                history.setdefault(row["person"], []).append((row["assessed_on"], row["final_level"]))
            return history

        return self.remembered("risk_history", read)

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

    def visit_counts(self, period: str) -> dict:
        """{(period key, person id): counted visits} in the contract's periods of ``period``: the
        one count the compliance page and the schedule's marks use (models.visits.count_visits),
        every kind of period from one read of the visits."""
        from .visits import PERIODS, visit_counts_in

        def read():
            return visit_counts_in({kind: periods_between(kind, self.start, self.until) if self.until >= self.start
                                    else [] for kind in PERIODS})

        return self.remembered("visit_counts", read)[period]

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
class Evidence:
    """The records that count, as a query a page can list, page and link: one
    collection's records (``raw`` on ``document``, or the ``rows`` the measure read),
    or computed ``entries`` (a person in a period, records of several collections).
    ``part`` narrows it to one period cell of the page (a month, a week, an item)."""

    document: type | None
    raw: dict | None
    endpoint: str | None
    order_by: str = "-_id"
    date_field: str | None = None
    total: int | None = None  # how many records count, when the measure knows it (no count asked)
    rows: list | None = None  # those records as read, when the measure read them all (no list asked)
    part_field: str | None = "month"  # the stored field a period cell names (query and rows)
    part_raw: dict | None = None  # the query a cell narrows (default ``raw``)
    parts_of: object = None  # row -> the cells it counts in (rows), when not ``part_field``
    entries: list | None = None  # [{"label", "endpoint", "id", "date", "parts"}]
    cell_entries: list | None = None  # entries of every cell, when more than those counted

    def part(self, key: str) -> "Evidence":
        if self.entries is not None:
            chosen = [e for e in (self.cell_entries if self.cell_entries is not None else self.entries)
                      if key in e.get("parts", ())]
            return Evidence(self.document, None, self.endpoint, entries=chosen)
        if self.rows is not None:
            chosen = [row for row in self.rows if key in self._parts(row)]
            return Evidence(self.document, None, self.endpoint, self.order_by, self.date_field, total=len(chosen),
                            rows=chosen, part_field=None)
        raw = {**(self.part_raw if self.part_raw is not None else self.raw), self.part_field: key}
        return Evidence(self.document, raw, self.endpoint, self.order_by, self.date_field, part_field=None)

    def _parts(self, row) -> list:
        if self.parts_of is not None:
            return list(self.parts_of(row))
        value = row.get(self.part_field) if self.part_field else None
        return value if isinstance(value, list) else [value]

    def count(self) -> int:
        if self.entries is not None:
            return len(self.entries)
        if self.rows is not None:
            return len(self.rows)
        if self.total is None:
            self.total = self.document.objects(__raw__=self.raw).count()
        return self.total

    def page(self, offset: int, limit: int) -> list[dict]:
        """Entries ``offset`` to ``offset + limit`` in order: {"label", "endpoint", "id", "date"}."""
        if self.entries is not None:
            return self.entries[offset:offset + limit]
        return [{"label": str(record), "endpoint": self.endpoint, "id": record.pk,
                 "date": getattr(record, self.date_field, None) if self.date_field else None}
                for record in evidence_records(self, limit, offset)]


def entry(label: str, endpoint: str | None, pk, day=None, parts=()) -> dict:
    return {"label": label, "endpoint": endpoint, "id": pk, "date": day, "parts": set(parts)}


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
            return f"{_number(round(float(value), 1))}%"
        return f"{whole(value)}{self.unit}"

    def achieved_text(self) -> str:
        return self.quantity(self.achieved)

    def expected_text(self) -> str:
        return self.quantity(self.expected)

    def forecast_text(self) -> str:
        return self.quantity(self.forecast)

    def target_text(self) -> str:
        return f"{dict(OPERATORS).get(self.indicator.op, '').split('（')[0]} {self.quantity(self.target)}"


def unit_of(indicator: Indicator) -> str:
    """"%" for a share, else the indicator's unit of whole things (次, 场, 人)."""
    return "%" if indicator.kind in PERCENT_KINDS or indicator.unit == "%" else (indicator.unit or "")


def whole(value) -> int:
    """A count to show: the nearest whole number (half up)."""
    return int(math.floor(float(value) + 0.5))


EVIDENCE_SHOWN = 200


def evidence_records(evidence: Evidence, limit: int = EVIDENCE_SHOWN, offset: int = 0) -> list:
    """Records of the evidence in its order (then by id), as documents: from the rows the
    measure read when it has them, else one query for the page."""
    field_name = evidence.order_by.lstrip("-")
    descending = evidence.order_by.startswith("-")
    if evidence.rows is None:
        query = evidence.document.objects(__raw__=evidence.raw).order_by(
            evidence.order_by, f"{'-' if descending else ''}id")
        return list(query.skip(offset).limit(limit).batch_size(WHOLE_RESULT))
    ordered = sorted(evidence.rows, key=lambda row: (row.get(field_name) is not None, row.get(field_name) or 0,
                                                     row.get("_id")), reverse=descending)
    return [evidence.document._from_son(row) for row in ordered[offset:offset + limit]]


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


MEASURES: dict = {}


def measures(*codes):
    def register(function):
        for code in codes:
            MEASURES[code] = function
        return function

    return register


def township_names() -> dict:
    return {t["_id"]: t["name"] for t in Township._get_collection().find({}, {"name": 1})}


def _counted(rows: list[dict], key: str) -> dict:
    """{value of ``key``: number of rows}."""
    return dict(Counter(row.get(key) for row in rows))


def _grouped(document, match: dict, key: str, total: str | int = 1) -> dict:
    rows = document._get_collection().aggregate([{"$match": match}, {"$group": {"_id": f"${key}", "n": {"$sum": total}}}],
                                                batchSize=WHOLE_RESULT)
    return {row["_id"]: row["n"] for row in rows}


def _count_measure(m: Measurement, document, match: dict, scope: Scope, endpoint: str, date_field: str,
                   township_field: str | None = "township") -> None:
    """Achieved = number of matching records; series by stored month key; breakdown by township.
    Counted by the database (a count per month and per township), not by reading the records."""
    match = scope.period_match(date_field, match, township_field)
    by_month = _grouped(document, match, "month")
    m.achieved = sum(by_month.values())
    m.series = [(month, by_month.get(month, 0)) for month in scope.months()]
    if township_field:
        names = scope.township_names()
        by_township: Counter = Counter()
        for township, n in _grouped(document, match, township_field).items():
            by_township[names.get(township, "未填写")] += n
        m.breakdown = sorted(by_township.items(), key=lambda pair: -pair[1])
    m.evidence = Evidence(document, match, endpoint, f"-{date_field}", date_field, total=m.achieved)
    m.counted = m.achieved


def _cohort_coverage(m: Measurement, scope: Scope, policy_codes: list[str]) -> None:
    from .visits import compliance, policy

    rows, due, visited = [], 0, 0
    names = scope.township_names()
    misses: Counter = Counter()
    counted, cells = [], []
    for code in policy_codes:
        item = policy(code)
        periods = compliance(item, scope.start, scope.until, scope.townships, archives=scope.archives(),
                             history=scope.risk_history(), counts=scope.visit_counts(item["period"])) \
            if scope.until >= scope.start else []
        ended = [p for p in periods if p["end"] < scope.today] or periods[-1:]
        for period in periods:
            month = None
            if item["period"] == "month":
                month = period["key"]
            elif item["period"] == "week":
                month = period_key("month", period_bounds("week", period["key"])[0])
            part = f"{code}|{period['key']}"
            label = period_label(item["period"], period["key"])
            rows.append({"label": f"{item['name']} · {label}", "key": period["key"], "due": period["due"],
                         "visited": period["visited"], "done": bool(period["due"]) and period["due"] == period["visited"],
                         "not_applicable": not period["due"],
                         "share": period["share"], "current": period["current"], "month": month, "part": part})
            counts_now = any(period is other for other in ended)
            for person in period["met"]:
                cells.append(entry(f"{person.get('name') or ''} · {item['name']} · {label}", "archive",
                                   person["_id"], parts=(part,)))
                if counts_now:
                    counted.append(cells[-1])
        for period in ended:
            due += period["due"]
            visited += period["visited"]
            for person in period["missed"]:
                misses[names.get(person.get("township"), "未填写")] += 1
        if ended and ended[-1]["missed"]:
            label = period_label(item["period"], ended[-1]["key"])
            m.near_misses += [(person, f"{label} 未探访") for person in ended[-1]["missed"]]
    m.achieved = round(visited * 100 / due, 1) if due else 0.0
    m.items = rows
    m.item_title = "各期探访"
    m.evidence = Evidence(None, None, "archive", entries=counted, cell_entries=cells)
    m.counted = visited
    m.breakdown = sorted(misses.items(), key=lambda pair: -pair[1])
    m.note = f"已结束各期应探访 {due} 人次，已探访 {visited} 人次；分街道为未探访人次。"
    monthly: dict = {}
    for row in rows:
        if row["share"] is not None and row["month"]:
            monthly.setdefault(row["month"], []).append(row["share"] * 100)
    m.series = [(month, round(sum(v) / len(v), 1)) for month, v in sorted(monthly.items())]


@measures("visits.home")
def _home_visits(m, indicator, scope):
    """From the monthly tallies the visit service keeps (no read of the visits), when the
    period is whole months up to today; else from the visits themselves."""
    from .visits import Visit, tallied_visits

    whole_months = scope.start.day == 1 and (scope.until == scope.today or
                                             (scope.until + dt.timedelta(days=1)).day == 1)
    if not whole_months:
        _count_measure(m, Visit, {"counts_as_home_visit": "yes"}, scope, "visit", "visited_at")
        return
    months = periods_between("month", scope.start, scope.until) if scope.until >= scope.start else []
    by_month: Counter = Counter()
    by_township: Counter = Counter()
    names = scope.township_names()
    for row in tallied_visits(months, scope.townships):
        by_month[row["month"]] += row["count"]
        by_township[names.get(row.get("township"), "未填写")] += row["count"]
    m.achieved = sum(by_month.values())
    m.series = [(month, by_month.get(month, 0)) for month in scope.months()]
    m.breakdown = sorted(by_township.items(), key=lambda pair: -pair[1])
    m.evidence = Evidence(Visit, scope.scoped({"counts_as_home_visit": "yes", **scope.between("visited_at")}),
                          "visit", "-visited_at", "visited_at", total=m.achieved)
    m.counted = m.achieved


@measures("archives.new")
def _new_archives(m, indicator, scope):
    from .archives import Archive

    low = dt.datetime.combine(scope.start, dt.time())
    high = dt.datetime.combine(scope.until, dt.time.max)
    period = [a for a in scope.archives() if a.get("archive_date") and low <= a["archive_date"] <= high]
    rows = [a for a in period if a.get("complete")]
    months = Counter(period_key("month", r["archive_date"]) for r in rows)
    names = scope.township_names()
    m.achieved = len(rows)
    m.series = [(month, months.get(month, 0)) for month in scope.months()]
    m.breakdown = sorted(Counter(names.get(r.get("township"), "未填写") for r in rows).items(), key=lambda p: -p[1])
    m.evidence = Evidence(Archive, scope.scoped({"complete": True, **scope.between("archive_date")}), "archive",
                          "-archive_date", "archive_date", rows=rows,
                          parts_of=lambda row: [period_key("month", row["archive_date"])])
    m.counted = len(rows)
    m.near_misses = [(row, "缺项：" + "、".join(row.get("missing_items") or [])) for row in period
                     if not row.get("complete")]


@measures("archives.children_coverage")
def _children_coverage(m, indicator, scope):
    from .archives import ChildArchive
    from .reference import PersonCategory

    codes = indicator.parameters().get("categories", [])
    ids = {c.pk for c in PersonCategory.objects(code__in=codes)}
    rows = [a for a in scope.archives() if a.get("_cls") == "Archive.ChildArchive" and a.get("status") == "active"
            and ids & set(a.get("categories") or [])]
    complete = [r for r in rows if r.get("complete")]
    m.achieved = round(len(complete) * 100 / len(rows), 1) if rows else 0.0
    names = scope.township_names()
    per_township: dict = {}
    for row in rows:
        name = names.get(row.get("township"), "未填写")
        total, done = per_township.get(name, (0, 0))
        per_township[name] = (total + 1, done + (1 if row.get("complete") else 0))
    m.breakdown = [(name, round(done * 100 / total, 1)) for name, (total, done) in sorted(per_township.items())]
    match = scope.scoped({"_cls": "Archive.ChildArchive", "status": "active", "categories": {"$in": list(ids)},
                          "complete": True})
    m.evidence = Evidence(ChildArchive, match, "childarchive", "name", "archive_date", rows=complete)
    m.counted = len(complete)
    m.near_misses = [(row, "缺项：" + "、".join(row.get("missing_items") or [])) for row in rows
                     if not row.get("complete")]
    m.note = f"名单内儿童 {len(rows)} 人，档案完整 {len(complete)} 人；分街道为完整率（%）。"


@measures("visits.risk_cadence", "visits.orphans", "visits.elderly_monthly")
def _visit_coverage(m, indicator, scope):
    _cohort_coverage(m, scope, indicator.parameters().get("policies", []))


@measures("trainings.child_workers", "volunteers.trainings", "staff.supervision")
def _trainings(m, indicator, scope):
    from .activities import Training, township_coverage

    params = indicator.parameters()
    match = {"audience": params.get("audience", "child_workers")}
    if params.get("min_hours"):
        match["hours"] = {"$gte": float(params["min_hours"])}
    _count_measure(m, Training, match, scope, "training", "training_date", township_field=None)
    if params.get("min_hours"):
        short = {"audience": match["audience"], "hours": {"$lt": float(params["min_hours"])}}
        m.near_misses = [(t, f"时长 {t.hours:g} 小时，须不少于 {params['min_hours']} 小时")
                         for t in scope.records(Training, "training_date", short, township_field=None)]
    if params.get("cover_townships"):
        coverage = township_coverage(match["audience"], str(scope.start.year))
        m.items = [{"label": t.name, "done": True} for t in coverage["covered"]] + \
                  [{"label": t.name, "done": False} for t in coverage["missing"]]
        m.item_title = "街道/乡镇覆盖"
        m.extra_met = not coverage["missing"]


@measures("cases.consultation", "cases.professional")
def _cases(m, indicator, scope):
    from .casework import Case, qualifying_cases_query

    case_type = indicator.parameters().get("case_type", indicator.code.split(".")[1])
    _count_measure(m, Case, qualifying_cases_query(case_type), scope, "case", "opened_on")
    for case in scope.records(Case, "opened_on", {"case_type": case_type}, limit=None):
        met, lacking = case.qualification()
        if not met:
            m.near_misses.append((case, "；".join(lacking)))


@measures("groups.series")
def _groups(m, indicator, scope):
    from .casework import GroupSeries, qualifying_groups_query

    _count_measure(m, GroupSeries, qualifying_groups_query(), scope, "groupseries", "started_on")
    for group in scope.records(GroupSeries, "started_on", {}, limit=None):
        met, lacking = group.qualification()
        if not met:
            m.near_misses.append((group, "；".join(lacking)))


@measures("events.large", "events.small")
def _events(m, indicator, scope):
    from .activities import CommunityEvent, size_query

    size = indicator.parameters().get("size", indicator.code.split(".")[1])
    _count_measure(m, CommunityEvent, size_query(size), scope, "event", "event_date")
    band = {"$gt": 40, "$lte": 50} if size == "large" else {"$gte": 5, "$lt": 10}
    wanted = "须 > 50 人" if size == "large" else "须 10–50 人"
    for event in scope.records(CommunityEvent, "event_date", {"people_served": band}):
        m.near_misses.append((event, f"服务 {event.people_served} 人，{wanted}"))


@measures("volunteers.trained")
def _volunteers_trained(m, indicator, scope):
    from .volunteers import Volunteer, VolunteerHourEntry

    minimum = float(indicator.parameters().get("min_hours", 2))
    hours = _grouped(VolunteerHourEntry, {"source": "training", **scope.between("served_on")}, "volunteer", "$hours")
    trained = [vid for vid, total in hours.items() if round(total, 2) >= minimum]
    m.achieved = len(trained)
    m.evidence = Evidence(Volunteer, {"_id": {"$in": trained}}, "volunteer", "name", "joined_on", part_field=None)
    m.counted = len(trained)
    short = [vid for vid, total in hours.items() if round(total, 2) < minimum]
    names = {v.pk: v for v in Volunteer.objects(pk__in=short)}
    m.near_misses = [(names[vid], f"培训 {hours[vid]:g} 小时，须不少于 {minimum:g} 小时") for vid in short
                     if vid in names]


@measures("volunteers.activities")
def _volunteer_activities(m, indicator, scope):
    from .activities import CommunityEvent

    minimum = float(indicator.parameters().get("min_hours", 2))
    _count_measure(m, CommunityEvent, {"volunteer_activity": True, "hours": {"$gte": minimum}}, scope, "event",
                   "event_date")
    short = {"volunteer_activity": True, "hours": {"$lt": minimum}}
    m.near_misses = [(e, f"时长 {e.hours:g} 小时，须不少于 {minimum:g} 小时")
                     for e in scope.records(CommunityEvent, "event_date", short)]


@measures("media.articles")
def _media(m, indicator, scope):
    from .other_work import MediaArticle

    levels = indicator.parameters().get("levels", ["city", "province", "national"])
    _count_measure(m, MediaArticle, {"level": {"$in": levels}}, scope, "media", "published_on", township_field=None)
    m.near_misses = [(a, "区级媒体，不计入") for a in scope.records(MediaArticle, "published_on",
                                                                  {"level": {"$nin": levels}}, township_field=None)]


def _months_grid(m: Measurement, scope: Scope, by_month: dict, per_period: float) -> None:
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
        m.lost.append(f"每月不少于 {_number(per_period)} 次，已有 {len(missed)} 个月未达到")


@measures("patrols.weekly")
def _patrols(m, indicator, scope):
    from .patrols import Patrol, weekly_grid

    minimum = int(indicator.per_period or 2)
    weeks = weekly_grid(scope.start, scope.until, scope.townships, minimum) if scope.until >= scope.start else []
    ended = [w for w in weeks if w["status"] != "open"]
    met = [w for w in ended if w["status"] == "met"]
    m.achieved = round(len(met) * 100 / len(ended), 1) if ended else 0.0
    m.items = [{"label": period_label("week", w["key"]), "key": w["key"], "part": w["key"], "count": w["count"],
                "done": w["status"] == "met", "current": w["status"] == "open"} for w in weeks]
    m.item_title = f"逐周（每周不少于 {_number(indicator.per_period or 2)} 次）"
    match = scope.scoped(scope.between("patrol_date"))
    by_month: dict = {}  # the share of each month's ended weeks that met the minimum (a week is in its Thursday's month)
    for week in ended:
        month = period_key("month", week["start"] + dt.timedelta(days=3))
        met_weeks, all_weeks = by_month.get(month, (0, 0))
        by_month[month] = (met_weeks + (week["status"] == "met"), all_weeks + 1)
    m.series = [(month, round(by_month[month][0] * 100 / by_month[month][1], 1) if month in by_month else None)
                for month in scope.months()]
    m.evidence = Evidence(Patrol, match, "patrol", "-patrol_date", "patrol_date", part_field="week",
                          part_raw=scope.scoped({}))
    m.counted = Patrol._get_collection().count_documents(scope.period_match("patrol_date", {}))
    m.near_misses = [({"name": period_label("week", w["key"])}, f"只有 {w['count']} 次") for w in ended
                     if w["status"] != "met"]
    m.note = f"已结束 {len(ended)} 周，达标 {len(met)} 周。"
    missed = [w["key"] for w in ended if w["status"] != "met"]
    if missed:
        m.note += "未达标的周：" + "、".join(missed) + "。"
        m.lost.append(f"每周不少于 {_number(minimum)} 次，已有 {len(missed)} 周未达到")


@measures("publicity.social_assistance")
def _social_assistance(m, indicator, scope):
    from .publicity import PublicityActivity

    params = indicator.parameters()
    topic = ThemeTag.objects(code=params.get("topic", "social_assistance")).first()
    match = scope.scoped({"topics": topic.pk if topic else None, **scope.between("held_on")}, "townships")
    held = scope.select(PublicityActivity, "held_on", {"topics": topic.pk if topic else None}, "townships")
    by_month = _counted(held, "month")
    m.achieved = sum(by_month.values())
    _months_grid(m, scope, by_month, indicator.per_period or 1)
    m.evidence = Evidence(PublicityActivity, match, "publicity", "-held_on", "held_on", rows=held)
    m.counted = len(held)
    if params.get("cover_townships"):
        covered = set()
        for row in held:
            covered |= set(row.get("townships") or [])
        townships = list(Township.objects(voided=False).order_by("code"))
        missing = [t.name for t in townships if t.pk not in covered]
        m.breakdown = [(t.name, "已覆盖" if t.pk in covered else "未覆盖") for t in townships]
        if missing:
            m.extra_met = False
            m.note = (m.note + " " if m.note else "") + f"{len(missing)} 个街道/乡镇尚未覆盖：" + "、".join(missing) + "。"
            if scope.until >= scope.end:  # no period left in which to cover them
                m.lost.append(f"服务期已结束，{len(missing)} 个街道/乡镇未覆盖")


@measures("briefs.monthly")
def _briefs(m, indicator, scope):
    from .briefs import Brief

    match = {"contract": scope.contract.pk, "status": "issued", "voided": False}
    by_month = _grouped(Brief, match, "month")
    months = {k: v for k, v in by_month.items() if k and k <= period_key("month", scope.until)}
    m.achieved = sum(1 for v in months.values() if v >= (indicator.per_period or 1))
    _months_grid(m, scope, months, indicator.per_period or 1)
    m.evidence = Evidence(Brief, {**match, "month": {"$lte": period_key("month", scope.until)}}, "brief", "-month",
                          "sent_on", part_raw=match)
    m.counted = sum(months.values())


@measures("reports.year_summary")
def _year_summary(m, indicator, scope):
    """The contract's 总结材料: year-end summaries once issued, as issued briefs count for 工作简报."""
    from .briefs import YearSummary

    _count_measure(m, YearSummary, {"contract": scope.contract.pk, "status": "issued"}, scope, "yearsummary",
                   "sent_on", township_field=None)


@measures("subsidy.onsite_check", "subsidy.quality_check")
def _subsidy(m, indicator, scope):
    from .subsidy import SpotCheck, check_shares

    kind = indicator.parameters().get("kind", "assessment")
    start, until = dt.datetime.combine(scope.start, dt.time()), dt.datetime.combine(scope.until, dt.time.max)
    shares = check_shares(kind, start, until)
    m.achieved = round(shares["share"] * 100, 2)
    m.items = [{"label": "服务期内总数", "count": shares["population"], "done": True},
               {"label": "已核查", "count": shares["checked"], "done": shares["checked"] > 0}]
    m.item_title = "核查数量"
    m.evidence = Evidence(SpotCheck, scope.scoped({"item": {"$in": shares["item_ids"]}, "checked_on": {"$ne": None}}),
                          "spotcheck", "-checked_on", "checked_on", part_field=None)
    m.counted = shares["checked"]


@measures("child.holiday_activities", "child.safety_topics", "elderly.festivals", "rescue.campaigns",
          "publicity.holidays")
def _checklist(m, indicator, scope):
    from .activities import CommunityEvent
    from .patrols import Patrol
    from .publicity import PublicityActivity

    params = indicator.parameters()
    tags = {t.code: t for t in ThemeTag.objects(code__in=params.get("themes", []))}
    ids = [t.pk for t in tags.values()]
    counts: Counter = Counter()
    codes = {t.pk: code for code, t in tags.items()}
    entries = []
    counted = 0

    def listed(document, row, endpoint, date, parts):
        # the overview only counts the evidence; the detail page lists it, each record by its name
        if scope.detail:
            entries.append(entry(str(document._from_son(row)), endpoint, row["_id"], date, parts))

    for document, tag_field, date_field, township_field, endpoint in (
            (CommunityEvent, "themes", "event_date", "township", "event"),
            (PublicityActivity, "topics", "held_on", "townships", "publicity")):
        fields = None if scope.detail else (tag_field, date_field)
        for row in scope.select(document, date_field, {tag_field: {"$in": ids}}, township_field, fields=fields):
            found = [tag for tag in row.get(tag_field) or () if tag in ids]
            counts.update(found)
            counted += 1
            listed(document, row, endpoint, row.get(date_field), [codes[tag] for tag in found])
    campaigns = params.get("patrol_campaigns") or {}
    if campaigns:
        wanted = {campaign: code for code, campaign in campaigns.items() if code in tags}
        fields = None if scope.detail else ("campaign", "patrol_date")
        for row in scope.select(Patrol, "patrol_date", {"campaign": {"$in": list(wanted)}}, fields=fields):
            counts[tags[wanted[row["campaign"]]].pk] += 1
            counted += 1
            listed(Patrol, row, "patrol", row.get("patrol_date"), [wanted[row["campaign"]]])
    m.items = [{"label": tags[code].name if code in tags else code, "count": counts.get(tags[code].pk, 0) if code in tags
                else 0, "done": code in tags and counts.get(tags[code].pk, 0) > 0, "code": code, "part": code}
               for code in params.get("themes", [])]
    m.item_title = "清单"
    m.achieved = sum(1 for item in m.items if item["done"])
    m.near_misses = [({"name": item["label"]}, "尚无活动或宣传") for item in m.items if not item["done"]]
    entries.sort(key=lambda e: (e["date"] or dt.datetime.min, str(e["id"])), reverse=True)
    m.evidence = Evidence(None, None, None, entries=entries)
    m.counted = counted


@measures("accompaniment.rules")
def _accompaniment(m, indicator, scope):
    from .accompaniment import Accompaniment, eligible_categories, ineligibility
    from .rules import get_rules

    rules = get_rules("service_rules")["accompaniment"]
    match = scope.scoped(scope.between("start_date"))
    records = list(Accompaniment.objects(__raw__=match).order_by("start_date").batch_size(WHOLE_RESULT).select_related())
    violations = []
    per_person: Counter = Counter()
    categories = eligible_categories()
    for record in records:
        refusal = ineligibility(record.person, categories)  # recorded before the rule was checked
        if refusal:
            violations.append((record, refusal))
        per_person[(ref_id(record._data.get("person")), record.year)] += 1
        if (record.days or 0) > int(rules["max_days"]):
            violations.append((record, f"陪护 {record.days} 天，超过 {rules['max_days']} 天"))
        if per_person[(ref_id(record._data.get("person")), record.year)] > int(rules["per_person_per_year"]):
            violations.append((record, f"同一人年内超过 {rules['per_person_per_year']} 次"))
        at_once = [r for r in records if r is not record and r.start_date <= record.start_date <= r.end_date]
        if len(at_once) + 1 > int(rules["max_concurrent"]):
            violations.append((record, f"{record.start_date:%Y-%m-%d} 同时陪护 {len(at_once) + 1} 人"))
    bad = {id(record) for record, _ in violations}
    m.achieved = round((len(records) - len(bad)) * 100 / len(records), 1) if records else 100.0
    m.near_misses = violations
    kept = [record for record in reversed(records) if id(record) not in bad]
    m.evidence = Evidence(Accompaniment, match, "accompaniment",
                          entries=[entry(str(r), "accompaniment", r.pk, r.start_date) for r in kept])
    m.counted = len(kept)
    m.note = f"服务期内陪护 {len(records)} 次，违反规则 {len(bad)} 次（新登记的违规记录会被拒绝）。"


@measures("adoption.assessments")
def _adoption(m, indicator, scope):
    from .other_work import AdoptionAssessment

    match = scope.scoped({**scope.between("assigned_on"), "status": {"$ne": "withdrawn"}})
    by_status = _grouped(AdoptionAssessment, match, "status")
    assigned = sum(by_status.values())
    reported = by_status.get("reported", 0)
    m.achieved = round(reported * 100 / assigned, 1) if assigned else 100.0
    within = AdoptionAssessment.objects(__raw__={**match, "within_city": True}).count()
    limit = int(indicator.parameters().get("within_city_limit", 2))
    m.items = [{"label": "交办", "count": assigned, "done": True}, {"label": "已出具报告", "count": reported,
                                                                   "done": reported == assigned},
               {"label": f"市区内（不超过 {limit} 例）", "count": within, "done": within <= limit}]
    m.item_title = "收养评估"
    m.extra_met = within <= limit
    m.evidence = Evidence(AdoptionAssessment, {**match, "status": "reported"}, "adoption", "-assigned_on",
                          "assigned_on", part_field=None)
    m.counted = reported


@measures("staffing.rules")
def _staffing(m, indicator, scope):
    from .staffing import StaffMember, staffing_check

    result = staffing_check(scope.until)
    checks = result["checks"]
    m.achieved = round(sum(1 for c in checks if c["met"]) * 100 / len(checks), 1)
    m.items = [{"label": c["label"], "count": c["actual"], "done": c["met"], "detail": c["names"]} for c in checks]
    m.item_title = "人员配备规则"
    m.near_misses = [({"name": c["label"]}, f"要求 {c['required']}，实际 {c['actual']}") for c in checks if not c["met"]]
    people = {s.pk: [] for s in result["staff"]}
    for check, item in zip(checks, m.items, strict=True):
        if "people" in check:  # the rules that count people: their cell lists them
            item["part"] = check["label"]
            for person in check["people"]:
                people[person.pk].append(check["label"])
    m.evidence = Evidence(StaffMember, {"voided": False}, "staffmember",
                          entries=[entry(str(p), "staffmember", p.pk, p.started_on, people[p.pk])
                                   for p in result["staff"]])
    m.counted = len(result["staff"])


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


def indicators_for(contract: Contract) -> list[Indicator]:
    return list(Indicator.objects(contract=contract.pk, voided=False).order_by("sort_order"))


def measure_all(contract: Contract, today: dt.date, townships: list | None = None) -> list[Measurement]:
    scope = Scope(contract, today, townships, detail=False)
    lagging = contract.lagging_share or DEFAULT_LAGGING_SHARE
    return [measure(indicator, scope, lagging) for indicator in indicators_for(contract)]


def month_end(month: str) -> dt.date:
    return period_bounds("month", month)[1]
