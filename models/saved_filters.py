"""Saved filters: a named set of a list's filters, search and order that one user keeps
and reopens (常用筛选). Each belongs to its owner and one list; saving a name again
replaces what it holds. Written through the service layer like every record."""

from urllib.parse import urlencode

from mongoengine import ReferenceField, StringField

from .base import DISTRICT_WIDE, TrackedDocument
from .errors import DomainError
from .services import create_record, snapshot, update_record, void_record
from .users import User

#: The arguments of a list address that a saved filter keeps (not the page it was on).
KEPT_ARGS = ("search", "sort", "desc", "page_size", "only")
MAX_SAVED = 30  # per user and list: a drop-down, not an archive


class SavedFilter(TrackedDocument):
    owner = ReferenceField(User, required=True, verbose_name="所属用户")
    view = StringField(required=True, max_length=40, verbose_name="列表")
    name = StringField(required=True, max_length=40, verbose_name="名称")
    query = StringField(max_length=2000, verbose_name="筛选条件")

    meta = {"collection": "saved_filters", "ordering": ["name"], "indexes": [("owner", "view", "name")]}
    scope_field = DISTRICT_WIDE  # a user's own filter: only its owner ever reads it (by owner)

    def __str__(self):
        return self.name or "常用筛选"

    def check_rules(self):
        if not (self.name or "").strip():
            raise DomainError("请填写筛选的名称，例如“东江街道一级风险儿童本月未访”。", field="name")
        if not self.query:
            raise DomainError("当前没有任何筛选条件，无需保存。", field="query")


def filter_query(pairs) -> str:
    """The part of a list address a saved filter keeps: its filters (flt…), search, order and page size."""
    kept = [(key, value) for key, value in pairs
            if value != "" and (key.startswith("flt") or key in KEPT_ARGS)]
    return urlencode(kept)


def saved_filters(user, view: str) -> list[SavedFilter]:
    return list(SavedFilter.objects(owner=user.pk, view=view, voided=False).order_by("name", "id"))


def save_filter(user, view: str, name: str, pairs) -> SavedFilter:
    """Keep the filters of ``pairs`` under ``name`` for ``user`` on list ``view`` (replacing a filter of that name)."""
    name = (name or "").strip()
    query = filter_query(pairs)
    same = SavedFilter.objects(owner=user.pk, view=view, name=name, voided=False).first() if name else None
    if same is not None:
        before = snapshot(same)
        same.query = query
        update_record(same, before, same.version, user)
        return same
    if SavedFilter.objects(owner=user.pk, view=view, voided=False).count() >= MAX_SAVED:
        raise DomainError(f"每个列表最多保存 {MAX_SAVED} 个常用筛选，请先删除不用的。", field="name")
    return create_record(SavedFilter(owner=user, view=view, name=name, query=query), user)


def remove_filter(user, pk) -> SavedFilter:
    """Put away one of the user's saved filters (voided, kept in the audit trail)."""
    saved = SavedFilter.objects(pk=pk, owner=user.pk, voided=False).first()
    if saved is None:
        raise DomainError("该常用筛选不存在或已删除。")
    void_record(saved, "不再使用", user)
    return saved
