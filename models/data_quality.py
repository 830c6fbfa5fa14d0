"""Data quality: a registry of checks over the archives (and the visits' photos), each
finding the ids of the records it is about.

Every check reads the same snapshot: the in-scope active archives, read once with
the fields the checks need, the categories once, and the visits' photo digests once,
so the page costs a fixed number of database commands however many archives there
are. Thresholds come from the archive rules (``data_quality`` in seeds/archive_rules.json).
Each check is also a named list (models.named_lists) ``quality.<code>``: the figure on
the page and the list its link opens apply the same condition."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from . import idnumber
from .archives import KIND_KEYS, Archive, age_on
from .assessments import add_months
from .base import WHOLE_RESULT
from .clock import local_today
from .errors import DomainError
from .named_lists import named
from .reference import PersonCategory
from .rules import get_rules, seed_rules
from .visits import Visit

#: What the checks read of an archive.
FIELDS = ("_cls", "name", "name_pinyin", "sex", "birth_date", "id_number", "township", "categories", "worker",
          "complete", "missing_items", "last_visited_at", "archive_date")


def settings() -> dict:
    """The thresholds in force (an admin's stored copy of the rules that predates them: the seed's)."""
    return get_rules("archive_rules").get("data_quality") or seed_rules("archive_rules")["data_quality"]


def canonical_id_number(number: str | None) -> str | None:
    """The 18-digit form of a resident ID number (an old 15-digit number made 18, as
    GB 11643-1999 does: century 19 added, check character computed), for comparing."""
    number = idnumber.normalise(number)
    if len(number) == 15 and number.isdigit():
        first17 = number[:6] + "19" + number[6:]
        return first17 + idnumber.check_character(first17)
    return number or None


def id_number_problem(son: dict) -> str | None:
    """Why a stored archive's ID number is wrong or disagrees with its birth date or sex (None when fine)."""
    number = son.get("id_number")
    if not number:
        return None
    try:
        birth, sex = idnumber.parse(number)
    except idnumber.IdNumberError as exc:
        return str(exc)
    stored = son.get("birth_date")
    if stored is not None and stored.date() != birth:
        return f"出生日期与身份证号不一致（身份证号为 {birth:%Y-%m-%d}）"
    if son.get("sex") and son["sex"] != sex:
        return f"性别与身份证号不一致（身份证号为{sex}）"
    return None


def names_differ_by_one(first: str, second: str, most: int) -> bool:
    """Two names of the same length that differ in at least one and at most ``most`` characters."""
    if len(first) != len(second) or first == second:
        return False
    return sum(a != b for a, b in zip(first, second, strict=True)) <= most


class Snapshot:
    """What the checks read, once, for a user's townships (None: the whole district)."""

    def __init__(self, townships: list | None, today: dt.date | None = None):
        self.townships = townships
        self.today = today or local_today()
        self.settings = settings()
        self._archives: list[dict] | None = None
        self._categories: dict | None = None
        self._results: dict = {}

    @property
    def archives(self) -> list[dict]:
        if self._archives is None:
            query = {"voided": False, "status": "active"}
            if self.townships is not None:
                query["township"] = {"$in": list(self.townships)}
            cursor = Archive._get_collection().find(query, dict.fromkeys(FIELDS, 1), batch_size=WHOLE_RESULT)
            self._archives = list(cursor)
        return self._archives

    @property
    def categories(self) -> dict:
        if self._categories is None:
            self._categories = {c.pk: c for c in PersonCategory.objects.only("code", "name")}
        return self._categories

    def result(self, check: "Check") -> "Finding":
        if check.code not in self._results:
            self._results[check.code] = check.find(self)
        return self._results[check.code]


@dataclass
class Finding:
    ids: list  # the records the check is about, in a stable order
    groups: list  # for duplicates: the ids of each group of likely duplicates ([] for other checks)
    reasons: dict  # id -> why (Chinese), where a check says more than its name


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    document: Callable[[], type]
    find: Callable[[Snapshot], Finding]
    fix: str | None = None  # "assign": the bulk assignment of a worker; "merge": the merge review
    help: str = ""

    @property
    def list_code(self) -> str:
        return f"quality.{self.code}"


CHECKS: dict[str, Check] = {}


def check(code: str, label: str, document=None, fix: str | None = None, help: str = ""):
    def register(function):
        CHECKS[code] = Check(code, label, document or _archive, function, fix, help)
        named(f"quality.{code}", f"数据质量：{label}", CHECKS[code].document,
              lambda user, c=CHECKS[code]: {"_id": {"$in": Snapshot(_townships_of(user)).result(c).ids}})
        return function

    return register


def _archive():
    return Archive


def _visit():
    return Visit


def _townships_of(user):
    return user.township_ids() if user is not None and hasattr(user, "township_ids") else None


def _finding(ids, groups=(), reasons=None) -> Finding:
    return Finding(ids=sorted(set(ids)), groups=[sorted(g) for g in groups], reasons=reasons or {})


# ---------------------------------------------------------------- the checks


@check("incomplete", "缺必填项目", fix=None, help="按“业务规则 → 档案完整性”要求的项目。")
def _incomplete(snap: Snapshot) -> Finding:
    rows = [s for s in snap.archives if not s.get("complete")]
    return _finding([s["_id"] for s in rows], reasons={s["_id"]: "缺：" + "、".join(s.get("missing_items") or [])
                                                      for s in rows})


@check("id_invalid", "身份证号无效或与出生日期、性别不一致", help="校验位、出生日期、性别码。")
def _id_invalid(snap: Snapshot) -> Finding:
    reasons = {s["_id"]: problem for s in snap.archives if (problem := id_number_problem(s))}
    return _finding(reasons, reasons=reasons)


@check("age_out_of_range", "年龄不符合档案类型或对象类别", help="按各类档案和类别的年龄要求，以今天的年龄计。")
def _age_out_of_range(snap: Snapshot) -> Finding:
    reasons = {}
    for son in snap.archives:
        if son.get("birth_date") is None:
            continue
        record = Archive._from_son({k: v for k, v in son.items() if k != "categories"})
        record._data["categories"] = [snap.categories[c] for c in son.get("categories") or () if c in snap.categories]
        try:
            record.check_kind_rules()
        except DomainError as exc:
            if exc.field in ("birth_date", "categories"):
                reasons[son["_id"]] = f"{age_on(son['birth_date'], snap.today)} 岁：{exc.message}"
    return _finding(reasons, reasons=reasons)


def _groups_by(rows, key) -> list[list]:
    grouped = defaultdict(list)
    for son in rows:
        value = key(son)
        if value is not None:
            grouped[value].append(son["_id"])
    return [ids for ids in grouped.values() if len(ids) > 1]


def _grouped_finding(groups) -> Finding:
    return _finding([pk for group in groups for pk in group], groups)


@check("duplicate_id_number", "身份证号相同（含新旧号码）", fix="merge", help="15 位旧号码换算为 18 位后比较。")
def _duplicate_id_number(snap: Snapshot) -> Finding:
    return _grouped_finding(_groups_by(snap.archives, lambda s: canonical_id_number(s.get("id_number"))))


@check("duplicate_name_birth", "姓名和出生日期相同", fix="merge")
def _duplicate_name_birth(snap: Snapshot) -> Finding:
    return _grouped_finding(_groups_by(snap.archives, lambda s: (s["name"], s["birth_date"])
                                       if s.get("name") and s.get("birth_date") else None))


@check("similar_name", "姓名同音或仅差一字（同出生日期、同街道）", fix="merge")
def _similar_name(snap: Snapshot) -> Finding:
    most = int(snap.settings["similar_name_max_difference"])
    places = defaultdict(list)
    for son in snap.archives:
        if son.get("name") and son.get("birth_date"):
            places[(son["birth_date"], son.get("township"))].append(son)
    pairs = []
    for rows in places.values():
        for index, first in enumerate(rows):
            for second in rows[index + 1:]:
                if first["name"] == second["name"]:
                    continue  # the same name: the check above
                same_sound = first.get("name_pinyin") and first.get("name_pinyin") == second.get("name_pinyin")
                if same_sound or names_differ_by_one(first["name"], second["name"], most):
                    pairs.append([first["_id"], second["_id"]])
    return _grouped_finding(pairs)


@check("no_worker", "未分派责任社工", fix="assign")
def _no_worker(snap: Snapshot) -> Finding:
    return _finding([s["_id"] for s in snap.archives if s.get("worker") is None])


@check("not_visited", "长期未探访", help="超过规定月数没有计入的入户探访（从最近一次探访或建档日期算起）。")
def _not_visited(snap: Snapshot) -> Finding:
    months = int(snap.settings["not_visited_months"])
    kinds = set(snap.settings["not_visited_kinds"])
    cutoff = add_months(dt.datetime.combine(snap.today, dt.time()), -months)
    found = []
    for son in snap.archives:
        kind = KIND_KEYS.get((son.get("_cls") or "").split(".")[-1])
        last = son.get("last_visited_at") or son.get("archive_date")
        if kind in kinds and last is not None and last < cutoff:
            found.append(son["_id"])
    return _finding(found)


@check("photo_reused", "照片在多次探访中重复使用", document=_visit, help="同一张照片（内容摘要相同）出现在不止一次探访中。")
def _photo_reused(snap: Snapshot) -> Finding:
    rows = list(Visit._get_collection().find({"voided": False}, {"photo_hashes": 1, "township": 1},
                                             batch_size=WHOLE_RESULT))
    used = defaultdict(set)
    for son in rows:
        for digest in set(son.get("photo_hashes") or ()):
            used[digest].add(son["_id"])
    reused = {pk for ids in used.values() if len(ids) > 1 for pk in ids}
    limited = None if snap.townships is None else set(snap.townships)
    groups = [sorted(ids) for ids in used.values() if len(ids) > 1]
    if limited is not None:
        visible = {son["_id"] for son in rows if son.get("township") in limited}
        reused &= visible
        groups = [[pk for pk in group if pk in visible] for group in groups]
    return _finding(reused, [g for g in groups if g])


def run_checks(townships: list | None, today: dt.date | None = None) -> tuple[Snapshot, list[tuple[Check, Finding]]]:
    """Every check's finding for a user's townships."""
    snap = Snapshot(townships, today)
    return snap, [(c, snap.result(c)) for c in CHECKS.values()]
