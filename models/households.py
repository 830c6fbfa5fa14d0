"""Households (户): one family's archives of any kind linked together (户主, each member's
relationship to the 户主, the shared address and community), so that a worker sees the
whole family and one home visit can cover every member who is due.

A household is keyed by its 户主's ID number, so that the bureau's lists (a 户主身份证号
column) link rows into the same household however often they are imported. Members
are never removed: a member who leaves keeps their line with the day and the reason,
and an archive that is moved, closed or voided stays on the household's history with
its status. The household is placed in every township its current members live in."""

import datetime as dt

from bson import ObjectId
from mongoengine import (
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from . import idnumber
from .archives import FOLLOWERS, Archive
from .base import WHOLE_RESULT, TrackedDocument, ref_id
from .clock import local_today
from .errors import DomainError
from .reference import Community, Township
from .sensitivity import ID_NUMBER
from .services import create_record, snapshot, update_record

HEAD = "head"
RELATIONS = ((HEAD, "户主"), ("spouse", "配偶"), ("child", "子女"), ("grandchild", "孙子女"),
             ("parent", "父母"), ("grandparent", "祖父母/外祖父母"), ("sibling", "兄弟姐妹"), ("other", "其他亲属"))
RELATION_LABELS = dict(RELATIONS)
RELATION_CODES = {label: code for code, label in RELATIONS}


class HouseholdMember(EmbeddedDocument):
    person = ReferenceField(Archive, required=True, verbose_name="成员")
    relation = StringField(required=True, choices=RELATIONS, default="other", verbose_name="与户主关系")
    joined_on = DateTimeField(verbose_name="加入日期")
    left_on = DateTimeField(verbose_name="离开日期")
    left_reason = StringField(max_length=200, verbose_name="离开原因")

    def __str__(self):
        name = getattr(self.person, "name", "") if not isinstance(self.person, ObjectId) else ""
        text = f"{name}（{RELATION_LABELS.get(self.relation, '')}）"
        return f"{text}，{self.left_on:%Y-%m-%d} 离开：{self.left_reason or ''}" if self.left_on else text


class Household(TrackedDocument):
    head_id_number = StringField(max_length=18, unique=True, sparse=True, verbose_name="户主身份证号",
                                 sensitive=ID_NUMBER)
    head_name = StringField(max_length=40, verbose_name="户主姓名")
    head = ReferenceField(Archive, verbose_name="户主档案")
    address = StringField(max_length=120, verbose_name="家庭住址")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    community = ReferenceField(Community, verbose_name="社区/村委")
    members = ListField(EmbeddedDocumentField(HouseholdMember), verbose_name="成员")
    note = StringField(max_length=500, verbose_name="备注")
    # derived on every save: the current members' ids (to find a person's household with one
    # query) and every township the household is placed in (its own and its current members')
    member_ids = ListField(ObjectIdField(), verbose_name="当前成员")
    townships = ListField(ReferenceField(Township), verbose_name="涉及街道/乡镇")

    meta = {"collection": "households", "ordering": ["-created_at"],
            "indexes": ["member_ids", "townships", "township", "community", ("-created_at", "-id")]}
    scope_field = "townships"
    unaudited_fields = frozenset({"member_ids", "townships"})
    keeps_change_log = True

    def __str__(self):
        return f"{self.head_name or '（未填户主）'}户"

    def current_members(self) -> list[HouseholdMember]:
        return [m for m in self.members or [] if m.left_on is None]

    def prepare(self):
        if self.head_id_number:
            self.head_id_number = idnumber.normalise(self.head_id_number)
        else:
            self.head_id_number = None
        self.head_name = (self.head_name or "").strip() or None
        current = self.current_members()
        self.member_ids = [ref_id(m._data.get("person")) for m in current]
        head = next((m for m in current if m.relation == HEAD), None)
        if head is not None:
            self.head = ref_id(head._data.get("person"))
        places = [ref_id(self._data.get("township"))]
        people = member_archives(self.member_ids)
        for pid in self.member_ids:
            person = people.get(pid)
            if person is not None and not person.get("voided"):
                places.append(person.get("township"))
        if head is not None and people.get(self.head) and not self.head_name:
            self.head_name = people[self.head].get("name")
        self.townships = list(dict.fromkeys(p for p in places if p is not None))

    def check_rules(self):
        if self.head_id_number:
            try:
                idnumber.parse(self.head_id_number)
            except idnumber.IdNumberError as exc:
                raise DomainError(f"户主身份证号：{exc}", field="head_id_number") from exc
        if not self.head_name and not self.head:
            raise DomainError("请填写户主姓名。", field="head_name")
        current = self.current_members()
        seen = set()
        for member in current:
            pid = ref_id(member._data.get("person"))
            if pid in seen:
                raise DomainError("同一人不能在本户中登记两次。", field="members")
            seen.add(pid)
        if sum(1 for m in current if m.relation == HEAD) > 1:
            raise DomainError("一户只能有一位户主。", field="members")
        for member in self.members or []:
            if member.left_on is not None and not (member.left_reason or "").strip():
                raise DomainError("成员离开本户时请填写原因。", field="members")
        community = self.community
        if community and self.township and ref_id(community._data.get("township")) != ref_id(self._data.get("township")):
            raise DomainError(f"社区/村委“{community}”不属于{self.township}。", field="community")
        if seen:
            elsewhere = Household.objects(member_ids__in=list(seen), voided=False)
            if self.pk:
                elsewhere = elsewhere.filter(pk__ne=self.pk)
            other = elsewhere.only("head_name", "member_ids").first()
            if other is not None:
                taken = [pid for pid in other.member_ids if pid in seen]
                names = "、".join(p.get("name", "") for p in member_archives(taken).values())
                raise DomainError(f"{names}已是“{other}”的成员；一人只能属于一户，请先在原户中登记离开。",
                                  field="members")


def member_archives(ids: list) -> dict:
    """{archive id: the stored archive's name, township, status, kind...} in one read."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    fields = {"name": 1, "township": 1, "status": 1, "voided": 1, "_cls": 1, "worker": 1, "risk_level": 1,
              "categories": 1, "archive_date": 1, "visited_periods": 1, "community": 1, "id_number": 1,
              "last_visited_at": 1, "status_reason": 1, "capability_level": 1}
    return {row["_id"]: row for row in Archive._get_collection().find({"_id": {"$in": list(ids)}}, fields,
                                                                       batch_size=WHOLE_RESULT)}


def household_of(person_id) -> Household | None:
    """The household a person currently belongs to (one query), or None."""
    if person_id is None:
        return None
    return Household.objects(member_ids=ref_id(person_id), voided=False).first()


def households_of(person_ids: list) -> list[Household]:
    """The households the people currently belong to (one query)."""
    ids = [ref_id(p) for p in person_ids if p is not None]
    if not ids:
        return []
    return list(Household.objects(member_ids__in=ids, voided=False))


# ---------------------------------------------------------------- changes


def add_member(household: Household, person, relation: str, actor, joined_on: dt.datetime | None = None) -> Household:
    """Add a person to the household (or give a former member their line again)."""
    if relation not in RELATION_LABELS:
        raise DomainError("请选择与户主的关系。", field="relation")
    before = snapshot(household)
    pid = ref_id(person)
    if pid in (household.member_ids or []):
        raise DomainError("此人已是本户成员。", field="person")
    household.members = [*list(household.members or []), HouseholdMember(
        person=pid, relation=relation, joined_on=joined_on or dt.datetime.combine(local_today(), dt.time()))]
    update_record(household, before, household.version, actor)
    return household


def record_leaving(household: Household, person_id, reason: str, actor, left_on: dt.datetime | None = None) -> Household:
    """Mark a member as having left the household: the line and its history stay."""
    if not (reason or "").strip():
        raise DomainError("请填写离开原因。", field="reason")
    before = snapshot(household)
    found = False
    for member in household.members or []:
        if member.left_on is None and ref_id(member._data.get("person")) == ref_id(person_id):
            member.left_on = left_on or dt.datetime.combine(local_today(), dt.time())
            member.left_reason = reason.strip()
            found = True
    if not found:
        raise DomainError("此人不是本户的当前成员。", field="person")
    update_record(household, before, household.version, actor)
    return household


def follow_member(archive, before: dict | None) -> None:
    """After an archive was written: the households holding it follow its township (their
    scope) and its voiding; nothing else is stored about it (status and name are read live)."""
    if before is None:
        return
    after = archive._data
    if before.get("township") == ref_id(after.get("township")) and bool(before.get("voided")) == bool(archive.voided):
        return
    collection = Household._get_collection()
    for son in collection.find({"member_ids": archive.pk}, {"_id": 1}):
        household = Household.objects(pk=son["_id"]).first()
        household.prepare()
        townships = [ref_id(t) for t in household._data.get("townships") or []]
        collection.update_one({"_id": household.pk}, {"$set": {"townships": townships}})


FOLLOWERS.append(follow_member)  # an archive written: its household follows a move


# ---------------------------------------------------------------- import



def link_imported(rows: list[tuple[object, str, str]], actor) -> dict[str, int]:
    """Link imported archives into households: ``rows`` are (archive id, 户主身份证号, relation
    label or ""), for the rows of an import that name a 户主. A household is found by its
    户主身份证号 or made; a person already in it is left as is, so that importing the same
    file again changes nothing. Returns {"created": n, "joined": n}. Reads the households
    and the archives named once."""
    numbers = list(dict.fromkeys(idnumber.normalise(n) for _, n, _ in rows if n))
    if not numbers:
        return {"created": 0, "joined": 0}
    known = {h.head_id_number: h for h in Household.objects(head_id_number__in=numbers)}
    heads = {a["id_number"]: a for a in Archive._get_collection().find(
        {"id_number": {"$in": numbers}}, {"id_number": 1, "name": 1, "township": 1, "community": 1,
                                          "current_address": 1})}
    people = member_archives([pid for pid, _, _ in rows])
    placed = {pid: h.head_id_number for h in households_of([pid for pid, _, _ in rows]) for pid in h.member_ids}
    created = joined = 0
    by_number: dict[str, list] = {}
    for pid, number, relation in rows:
        by_number.setdefault(idnumber.normalise(number), []).append((pid, relation))
    for number, members in by_number.items():
        household = known.get(number)
        if household is not None and household.voided:
            continue  # a voided household is not brought back by an import
        before = snapshot(household) if household is not None else None
        if household is None:
            head = heads.get(number)
            first = people.get(members[0][0]) or {}
            source = head or first
            household = Household(head_id_number=number, head_name=(head or {}).get("name"),
                                  township=source.get("township"), community=source.get("community"),
                                  address=source.get("current_address"))
        current = set(household.member_ids or [])
        former = {ref_id(m._data.get("person")) for m in household.members or [] if m.left_on is not None}
        added = False
        for pid, relation in members:
            person = people.get(pid) or {}
            code = HEAD if person.get("id_number") == number else RELATION_CODES.get(relation or "", "other")
            if pid in current or pid in former:
                continue  # already linked, or left the household on purpose: the import does not undo that
            if placed.get(pid, number) != number:
                continue  # a member of another household (the preview says so): moved by hand, not by a list
            household.members = [*list(household.members or []), HouseholdMember(
                person=pid, relation=code, joined_on=dt.datetime.combine(local_today(), dt.time()))]
            current.add(pid)
            added = True
            joined += 1
        if not household.head_name:
            household.head_name = next((people.get(pid, {}).get("name") for pid, r in members
                                        if people.get(pid, {}).get("id_number") == number), None) \
                or f"户主（{idnumber.mask(number)}）"
        if before is None:
            create_record(household, actor)
            created += 1
        elif added:
            update_record(household, before, household.version, actor)
    return {"created": created, "joined": joined}


def check_import_value(number: str | None, relation: str | None) -> list[str]:
    """The problems of one row's 户主身份证号 and 与户主关系 (the import's preview shows them)."""
    problems = []
    if number:
        try:
            idnumber.parse(idnumber.normalise(number))
        except idnumber.IdNumberError as exc:
            problems.append(f"户主身份证号：{exc}")
    if relation and relation not in RELATION_CODES:
        problems.append(f"“与户主关系”只能填：{'、'.join(RELATION_CODES)}（现为“{relation}”）。")
    if relation and not number:
        problems.append("填写了“与户主关系”时请同时填写“户主身份证号”。")
    return problems
