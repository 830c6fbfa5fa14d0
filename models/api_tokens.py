"""Tokens of the read-only data interface (数据接口) for the district bureau's systems.

A token is made by the admin for one integration, with a role and townships like a
user's account. Only a digest of it is stored: the token itself is shown once, when it
is made. Revoking a token is voiding it (with a reason, in the audit trail). Calls are
counted per token and minute in a small collection, so that a flood is refused
whichever web process answers it."""

import datetime as dt
import hashlib
import secrets

from mongoengine import DateTimeField, Document, IntField, ListField, ReferenceField, StringField
from pymongo import ReturnDocument

from .base import DISTRICT_WIDE, TrackedDocument, delete_by_ids
from .clock import local_now
from .errors import DomainError
from .reference import Township
from .services import create_record
from .users import ROLES, allowed

TOKEN_PREFIX = "mzapi_"
#: How often the time a token was last used is written (not on every call).
LAST_USED_EVERY = dt.timedelta(minutes=1)
#: ID numbers and sensitive content leave through the interface as a 管理者 sees them.
MASKED_AS = "manager"


def digest(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


class ApiToken(TrackedDocument):
    name = StringField(required=True, max_length=60, verbose_name="接入系统名称")
    role = StringField(required=True, choices=ROLES, default="manager", verbose_name="角色")
    townships = ListField(ReferenceField(Township), verbose_name="可读取的街道/乡镇（空为全区）")
    note = StringField(max_length=200, verbose_name="备注")
    token_hash = StringField(unique=True, sparse=True, verbose_name="令牌摘要")
    token_hint = StringField(max_length=20, verbose_name="令牌开头")
    last_used_at = DateTimeField(verbose_name="最近调用")

    meta = {"collection": "api_tokens", "ordering": ["-created_at"]}  # token_hash: its unique index
    scope_field = DISTRICT_WIDE  # integrations are managed centrally by the admin, like accounts
    unaudited_fields = frozenset({"token_hash", "last_used_at"})

    def __str__(self):
        return self.name or ""

    @property
    def username(self) -> str:
        """Who the audit trail names for the token's calls."""
        return f"接口:{self.name}"

    @property
    def display_name(self) -> str:
        return f"数据接口“{self.name}”"

    def township_ids(self) -> list | None:
        ids = [t.pk if hasattr(t, "pk") else t for t in (self.townships or [])]
        return ids or None

    def can(self, area: str, action: str) -> bool:
        return not self.voided and allowed(self.role, area, action)

    def check_rules(self):
        if not (self.name or "").strip():
            raise DomainError("请填写接入系统名称。", field="name")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def issue(token: ApiToken) -> str:
    """Give a token (new, not yet saved) its secret; returns the secret, the only time it is seen."""
    secret = new_token()
    token.token_hash = digest(secret)
    token.token_hint = secret[:len(TOKEN_PREFIX) + 4]
    return secret


def create_token(name: str, role: str, townships: list, actor, note: str = "") -> tuple[ApiToken, str]:
    token = ApiToken(name=(name or "").strip(), role=role, townships=list(townships or []), note=note or None)
    secret = issue(token)
    return create_record(token, actor), secret


def authenticate(presented: str | None) -> ApiToken | None:
    """The live token presented (``Authorization: Bearer <token>``), or None."""
    if not presented or not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    son = ApiToken._get_collection().find_one({"token_hash": digest(presented)})
    if son is None or son.get("voided"):
        return None
    token = ApiToken._from_son(son)
    now = local_now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken._get_collection().update_one({"_id": token.pk}, {"$set": {"last_used_at": now}})
        token.last_used_at = now
    return token


class ApiCallCount(Document):
    """Calls of one token in one minute."""

    key = StringField(primary_key=True)  # "<token id>|2026-03-05T10:31"
    token = StringField(required=True)
    calls = IntField(default=0)

    meta = {"collection": "api_call_counts", "indexes": ["token"]}
    scope_field = DISTRICT_WIDE  # bookkeeping of the interface, shown on no page


def count_call(token: ApiToken, now: dt.datetime | None = None) -> int:
    """Count one call of ``token`` in the current minute; the calls of the minute so far.
    The first call of a minute clears the token's earlier minutes."""
    now = now or local_now()
    token_id = str(token.pk)
    key = f"{token_id}|{now:%Y-%m-%dT%H:%M}"
    collection = ApiCallCount._get_collection()
    son = collection.find_one_and_update({"_id": key}, {"$inc": {"calls": 1}, "$set": {"token": token_id}},
                                         upsert=True, return_document=ReturnDocument.AFTER)
    calls = int(son.get("calls") or 1)
    if calls == 1:  # the earlier minutes, read by the token and deleted by id (a "$ne" delete would scan)
        earlier = [row["_id"] for row in collection.find({"token": token_id}, {"_id": 1}) if row["_id"] != key]
        delete_by_ids(collection, earlier)
    return calls
