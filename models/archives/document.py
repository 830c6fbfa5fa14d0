"""The part every archive shares: the person's identity, place and status, the fields
derived from them, the checks of every kind, and the duplicate-person check."""

import datetime as dt
import functools

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    EmbeddedDocument,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .. import idnumber
from ..base import TrackedDocument, ref_id
from ..clock import local_today
from ..custom_fields import CustomField
from ..errors import DomainError
from ..inputs import TEXT
from ..reference import Community, PersonCategory, Township
from ..rules import get_rules
from ..sensitivity import ID_NUMBER
from ..users import User
from .choices import HEALTH, HOUSEHOLD_TYPES, KIND_LABELS, PARENT_SITUATIONS, SEXES, STATUSES


class ParentInfo(EmbeddedDocument):
    name = StringField(max_length=40, verbose_name="姓名")
    id_number = StringField(max_length=18, verbose_name="身份证号", sensitive=ID_NUMBER)
    phone = StringField(max_length=20, verbose_name="电话")
    address = StringField(max_length=100, verbose_name="住址")
    health = StringField(choices=HEALTH, verbose_name="健康状况")
    situation = StringField(choices=PARENT_SITUATIONS, verbose_name="现状况")
    work_place = StringField(max_length=60, verbose_name="务工地点")
    is_guardian = BooleanField(default=False, verbose_name="是否监护人")

    def __str__(self):
        parts = [self.name or "（未填）"]
        if self.situation:
            parts.append(dict(PARENT_SITUATIONS).get(self.situation, self.situation))
        if self.work_place:
            parts.append(self.work_place)
        if self.is_guardian:
            parts.append("监护人")
        return "，".join(parts)


#: What follows a write of an archive elsewhere, ``follow(archive, before)``: registered by the
#: module that keeps such data (models.households: the household follows its member's move).
FOLLOWERS: list = []


def may_open(actor, township_id) -> bool:
    """Whether ``actor`` (a user, or None for the system) may see records of a township."""
    limited = actor.township_ids() if actor is not None and hasattr(actor, "township_ids") else None
    return limited is None or township_id in limited


def outside_message(number: str) -> str:
    """What a user is told of an ID number already on file outside their townships:
    that it is, and whom to ask, never whose archive it is or where."""
    coordinators = "、".join(u.display_name for u in User.objects(role="coordinator", active=True, voided=False)
                             .only("display_name", "townships") if not u.townships)
    ask = f"项目主管（{coordinators}）" if coordinators else "项目主管"
    return f"身份证号 {idnumber.mask(number)} 已有档案（不在您负责的街道/乡镇），不能重复建档；请联系{ask}核实。"


def age_on(birth: dt.date | dt.datetime | None, day: dt.date | None = None) -> int | None:
    if birth is None:
        return None
    if isinstance(birth, dt.datetime):
        birth = birth.date()
    day = day or local_today()
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@functools.lru_cache(maxsize=20_000)
def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a Chinese name: 张三 -> ('zs', 'zhangsan'). One conversion
    gives both, and a name checked again (an import's preview, then its confirmation) is
    not converted twice."""
    from pypinyin import lazy_pinyin  # slow to load (its dictionaries): not at start-up

    syllables = [s.lower() for s in lazy_pinyin(name or "", errors="ignore") if s]
    return "".join(s[0] for s in syllables), "".join(syllables)


class Archive(TrackedDocument):
    """The part every archive shares."""

    name = StringField(required=True, max_length=40, verbose_name="姓名")
    name_initials = StringField(verbose_name="姓名拼音首字母")
    name_pinyin = StringField(verbose_name="姓名拼音")
    sex = StringField(choices=SEXES, verbose_name="性别")
    birth_date = DateTimeField(verbose_name="出生日期")
    ethnicity = StringField(max_length=20, default="汉族", verbose_name="民族")
    id_number = StringField(max_length=18, unique=True, sparse=True, verbose_name="身份证号", sensitive=ID_NUMBER)
    phone = StringField(max_length=30, verbose_name="联系电话")
    household_type = StringField(choices=HOUSEHOLD_TYPES, verbose_name="户口性质")
    household_address = StringField(max_length=120, verbose_name="户籍地址")
    current_address = StringField(max_length=120, verbose_name="现住址")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    community = ReferenceField(Community, verbose_name="社区/村委")
    categories = ListField(ReferenceField(PersonCategory), verbose_name="对象类别")
    status = StringField(choices=STATUSES, default="active", verbose_name="档案状态")
    status_date = DateTimeField(verbose_name="状态日期")
    status_reason = StringField(max_length=200, verbose_name="状态原因")
    worker = ReferenceField(User, verbose_name="责任社工")
    archive_date = DateTimeField(verbose_name="建档日期")
    emergency_contact = StringField(max_length=60, input_kind=TEXT, verbose_name="紧急联系人及电话")
    note = StringField(verbose_name="备注")
    completeness = IntField(default=0, verbose_name="完整度（%）")
    complete = BooleanField(default=False, verbose_name="档案完整")
    missing_items = ListField(StringField(), verbose_name="缺项")
    custom = DictField(verbose_name="自定义字段")
    # Period keys with counted home visits ("2026-W10", "2026-03", "2026-Q1", "2026", "2026#2" for a
    # second visit in the year): kept by models.visits, so that "due and not visited" is one query.
    visited_periods = ListField(StringField(), verbose_name="已探访周期")
    last_visited_at = DateTimeField(verbose_name="最近探访")  # the latest counted home visit, kept with the marks

    meta = {
        "collection": "archives",
        "allow_inheritance": True,
        "ordering": ["-archive_date"],
        "indexes": [
            "community", "categories", "status", "worker", ("archive_date", "id"), "complete",
            "birth_date", "name_initials",
            ("township", "status"), ("voided", "township", "-archive_date", "-id"),
            ("name", "birth_date", "township"), "visited_periods", ("last_visited_at", "id"),
        ],
    }
    scope_field = "township"
    kind_key = "all"
    unaudited_fields = frozenset({"name_initials", "name_pinyin", "completeness", "complete", "missing_items",
                                  "visited_periods", "last_visited_at"})
    #: Its latest changes are kept in its summary (models.summaries) for the person's file.
    keeps_change_log = True
    # Not stored: what the one saving it says of this save (read by check_duplicate_person).
    saved_by = None  # the user saving it (None: the system): an archive on file is named only to one who may see it
    confirm_not_duplicate = False  # they checked that a same-name, same-birth-date archive is another person
    people_on_file = None  # PeopleOnFile: the archives that may be this person, read once for many (an import)

    def __str__(self):
        return self.name or ""

    def dict_key_labels(self, name: str) -> dict[str, str]:
        """The names of the custom fields kept under their keys in ``custom`` (for the audit trail)."""
        if name != "custom":
            return {}
        return {d.key: d.label for d in CustomField.objects.only("key", "label")}

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(type(self).__name__, "")

    @property
    def age(self) -> int | None:
        return age_on(self.birth_date)

    @property
    def masked_id(self) -> str:
        return idnumber.mask(self.id_number)

    def duplicate_message(self, actor=None) -> str:
        """Names the archive that holds the number only to a user who may see it (its
        township is theirs); anyone else learns that the number is on file and whom to ask."""
        existing = Archive.objects(id_number=self.id_number).only("name", "township").first()
        if existing is None:
            return "保存失败：与已有档案重复。"
        if may_open(actor, ref_id(existing._data.get("township"))):
            return f"身份证号 {idnumber.mask(self.id_number)} 已有档案：{existing.name}（编号 {existing.pk}）。"
        return outside_message(self.id_number)

    # -- derived fields and checks ------------------------------------------

    def prepare(self) -> None:
        self.name = (self.name or "").strip()
        self.name_initials, self.name_pinyin = pinyin_keys(self.name)
        if self.id_number:
            self.id_number = idnumber.normalise(self.id_number)
            try:  # birth date and sex from the number, before completeness is judged (checked in check_rules)
                birth, sex = idnumber.parse(self.id_number)
            except idnumber.IdNumberError:
                pass
            else:
                if self.birth_date is None:
                    self.birth_date = dt.datetime.combine(birth, dt.time())
                if not self.sex:
                    self.sex = sex
        else:
            self.id_number = None
        if self.archive_date is None:
            self.archive_date = dt.datetime.combine(local_today(), dt.time())
        if self.status == "active":
            self.status_reason = self.status_reason or None
        self.compute_completeness()

    def check_rules(self) -> None:
        """Only checks: the fields derived from the ID number are filled by prepare()."""
        if self.id_number:
            try:
                birth, sex = idnumber.parse(self.id_number)
            except idnumber.IdNumberError as exc:
                raise DomainError(str(exc), field="id_number") from exc
            if self.birth_date is not None and self.birth_date.date() != birth:  # prepare() filled a blank one
                raise DomainError(f"出生日期与身份证号不一致：身份证号显示为 {birth:%Y-%m-%d}。", field="birth_date")
            if self.sex and self.sex != sex:
                raise DomainError(f"性别与身份证号不一致：身份证号显示为{sex}。", field="sex")
        if self.birth_date and self.birth_date.date() > local_today():
            raise DomainError("出生日期不能晚于今天。", field="birth_date")
        community = self.community
        if community and self.township and ref_id(community._data.get("township")) != ref_id(self._data.get("township")):
            raise DomainError(f"社区/村委“{self.community}”不属于{self.township}。", field="community")
        if self.status != "active" and not (self.status_reason or "").strip():
            raise DomainError("档案状态不是“在档”时，须填写状态原因。", field="status_reason")
        self.check_kind_rules()
        check_duplicate_person(self, self.saved_by)

    def check_kind_rules(self) -> None:
        """Rules of one kind of archive."""

    def after_write(self, before: dict | None) -> None:
        for follow in FOLLOWERS:
            follow(self, before)

    def compute_completeness(self) -> None:
        rules = get_rules("archive_rules")["completeness"]
        required = dict(rules["common"])
        required.update(rules.get(self.kind_key, {}))
        missing = [label for field, label in required.items() if not self._has_value(field)]
        self.missing_items = missing
        self.completeness = round(100 * (len(required) - len(missing)) / len(required)) if required else 100
        self.complete = not missing

    def _has_value(self, field: str) -> bool:
        # _data, not getattr: a reference is not loaded just to see that it is set.
        value = self._data.get(field) if field in self._fields else (self.custom or {}).get(field)
        return value not in (None, "", [])

    def similar_archives(self):
        """Archives with the same name, birth date and township (a likely duplicate)."""
        if not (self.name and self.birth_date and self.township):
            return Archive.objects.none()
        query = Archive.objects(name=self.name.strip(), birth_date=self.birth_date, township=self.township,
                                voided=False)
        if self.pk:
            query = query.filter(pk__ne=self.pk)
        return query.only("name", "township", "birth_date")


IDENTITY_FIELDS = ("name", "birth_date", "township")


def check_duplicate_person(archive: Archive, actor) -> None:
    """Refuse a second archive of one person, wherever it is saved from (the form, an
    import, the command line): an ID number already on file (named only to ``actor`` if
    they may see it), or, for a new archive or one whose name, birth date or township
    changed, an archive of the same name and birth date in the township (where both carry
    an ID number, the numbers tell the two apart), unless the one saving it confirmed
    (``confirm_not_duplicate``) that it is another person."""
    new = archive._created
    changed = set(getattr(archive, "_changed_fields", None) or ())  # none kept on a new document
    if archive.id_number and (new or "id_number" in changed):
        if archive.people_on_file is None:
            other = Archive.objects(id_number=archive.id_number, pk__ne=archive.pk).only("id").first()
        else:
            other = next((a for a in archive.people_on_file.with_id_number(archive.id_number)
                          if a.pk != archive.pk), None)
        if other is not None:
            raise DomainError(archive.duplicate_message(actor), field="id_number")
    if archive.confirm_not_duplicate or not (new or changed & set(IDENTITY_FIELDS)):
        return
    if archive.people_on_file is None:
        query = archive.similar_archives()
        similar = (query.filter(id_number=None) if archive.id_number else query).first()
    else:
        key = _identity(archive)
        similar = next((a for a in archive.people_on_file.with_identity(key)
                        if a.pk != archive.pk and not a.voided
                        and not (archive.id_number and a.id_number)), None) if all(key) else None
    if similar is not None:
        raise DomainError(
            f"可能重复：{similar.township}已有同名、同出生日期的档案“{similar.name}”（编号 {similar.pk}）。"
            "请先核对；确认不是同一人时，勾选“确认不是重复档案”后再保存。", field="confirm_not_duplicate")


def _identity(archive: Archive) -> tuple:
    return ((archive.name or "").strip(), archive.birth_date, ref_id(archive._data.get("township")))


class PeopleOnFile:
    """The archives on file that may be the people of many saves (an import), read once and
    looked up by ID number and by name, birth date and township: each save's duplicate
    check then costs a lookup, not a pass over all of them (``Archive.people_on_file``)."""

    def __init__(self, archives):
        self._by_id_number: dict = {}
        self._by_identity: dict = {}
        for archive in archives:
            if archive.id_number:
                self._by_id_number.setdefault(archive.id_number, []).append(archive)
            self._by_identity.setdefault(_identity(archive), []).append(archive)

    def with_id_number(self, id_number: str) -> list:
        return self._by_id_number.get(id_number, [])

    def with_identity(self, key: tuple) -> list:
        return self._by_identity.get(key, [])
