"""Named lists: a set of records that a page counts and a list shows, defined once.

A home-page card shows how many records one of these holds and opens the list
with ``?only=<code>``; the list applies the same condition (after the same
scoping to the user's townships), so the figure and the list cannot drift."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .archives import Archive, ChildArchive, ElderlyArchive, HomelessArchive
from .attachments import Attachment
from .casework import Case
from .clock import local_today
from .other_work import BureauTask
from .reception import ReceptionContact
from .reference import Community, PersonCategory, Township
from .subsidy import SpotCheck
from .users import User


@dataclass(frozen=True)
class NamedList:
    code: str
    label: str
    document: Callable[[], type]  # () -> the document class whose records the list holds
    where: Callable[[object], dict]  # the raw condition for a user

    def condition(self, user) -> dict:
        return {**self.where(user), "voided": False}


NAMED_LISTS: dict[str, NamedList] = {}


def named(code: str, label: str, document: Callable[[], type], where: Callable[[object], dict]) -> None:
    NAMED_LISTS[code] = NamedList(code, label, document, where)


def named_list(code: str | None) -> NamedList | None:
    return NAMED_LISTS.get(code or "")


def _archive():
    return Archive


def _kind(document):
    return lambda: document


def _due_today(user) -> dict:
    """Open contacts whose follow-up is due today or overdue (models.reception.due_follow_ups)."""
    return {"status": "open", "follow_up_due": {"$lte": dt.datetime.combine(local_today(), dt.time())}}


ACTIVE = {"status": "active"}

named("archives.active", "在档档案", _archive, lambda user: dict(ACTIVE))
named("archives.incomplete", "档案不完整", _archive, lambda user: {**ACTIVE, "complete": False})
named("archives.unassigned", "未分派社工", _archive, lambda user: {**ACTIVE, "worker": None})
named("children.active", "儿童", _kind(ChildArchive), lambda user: dict(ACTIVE))
named("elderly.active", "老年人", _kind(ElderlyArchive), lambda user: dict(ACTIVE))
named("homeless.active", "流浪乞讨人员", _kind(HomelessArchive), lambda user: dict(ACTIVE))
named("children.high_risk", "一级（高）风险儿童", _kind(ChildArchive), lambda user: {**ACTIVE, "risk_level": "1"})
named("archives.mine", "我负责的档案", _archive, lambda user: {**ACTIVE, "worker": user.pk})
named("archives.mine_incomplete", "其中档案不完整", _archive,
      lambda user: {**ACTIVE, "worker": user.pk, "complete": False})
named("children.mine_high_risk", "我负责的一级风险儿童", _kind(ChildArchive),
      lambda user: {**ACTIVE, "worker": user.pk, "risk_level": "1"})
named("attachments.mine", "我上传的资料", _kind(Attachment),
      lambda user: {"created_by": user.username})
named("reception.due", "来访来电待跟进", _kind(ReceptionContact), _due_today)
named("cases.mine_open", "我负责的在办个案", _kind(Case),
      lambda user: {"worker": user.pk, "closed_on": None})
named("spotchecks.mine", "分派给我的补贴抽查", _kind(SpotCheck),
      lambda user: {"assigned_to": user.pk, "status": "assigned"})
named("spotchecks.open", "补贴抽查未办结", _kind(SpotCheck),
      lambda user: {"status": {"$in": ["assigned", "rectifying"]}})
named("bureautasks.open", "交办任务未完成", _kind(BureauTask), lambda user: {"status": {"$ne": "done"}})
named("users.active", "启用账户", _kind(User), lambda user: {"active": True})
named("townships.all", "街道/乡镇", _kind(Township), lambda user: {})
named("communities.all", "社区/村委", _kind(Community), lambda user: {})
named("categories.all", "对象类别", _kind(PersonCategory), lambda user: {})

#: The cards of each role's home page, in order (``indicators`` is the contract's indicator overview).
HOME_CARDS = {
    "admin": ["users.active", "townships.all", "communities.all", "categories.all"],
    "coordinator": ["indicators", "archives.active", "archives.incomplete", "children.high_risk",
                    "archives.unassigned", "reception.due", "bureautasks.open", "spotchecks.open"],
    "staff": ["archives.mine", "archives.mine_incomplete", "children.mine_high_risk", "attachments.mine",
              "reception.due", "cases.mine_open", "spotchecks.mine"],
    "manager": ["indicators", "archives.active", "children.active", "elderly.active", "homeless.active"],
}
