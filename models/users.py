"""Accounts, roles and what each role may do."""

import datetime as dt
import secrets

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)
from werkzeug.security import check_password_hash, generate_password_hash

from .audit import FieldChange, write_audit
from .base import DISTRICT_WIDE, TrackedDocument
from .clock import local_now
from .errors import DomainError
from .reference import Township
from .sensitivity import FULL_VIEW_ROLES

ROLES = (
    ("staff", "社工"),
    ("coordinator", "项目主管"),
    ("manager", "管理者"),
    ("admin", "系统管理员"),
)
ROLE_LABELS = dict(ROLES)

#: How passwords are hashed (a werkzeug method): scrypt, werkzeug's own default. Only the test
#: suite's app changes it (``PASSWORD_HASH_METHOD`` of APP_MODE test, not read from the
#: environment): each scrypt hash or check takes about 90 ms, and the suite makes five accounts
#: for most of its two thousand tests and logs in several times in each.
PASSWORD_HASHING = {"method": "scrypt"}


def use_password_method(method: str) -> None:
    """Hash passwords made from now on with ``method`` (checks follow each hash's own)."""
    PASSWORD_HASHING["method"] = method

# What each role may do, per area of the app. Actions: view, create, edit,
# void, export, details. An area missing for a role means no access at all.
_READ = {"view", "details", "export"}
_WRITE = _READ | {"create", "edit", "void"}
PERMISSIONS: dict[str, dict[str, set[str]]] = {
    "archives": {"staff": _WRITE, "coordinator": _WRITE, "manager": _READ, "admin": _READ},
    "records": {"staff": _WRITE, "coordinator": _WRITE, "manager": _READ, "admin": _READ},
    "attachments": {"staff": _WRITE, "coordinator": _WRITE, "manager": _READ, "admin": _READ},
    "reference": {"staff": {"view", "details"}, "coordinator": _READ, "manager": _READ, "admin": _WRITE},
    "users": {"admin": _WRITE},
    "audit": {"coordinator": _READ, "admin": _READ},
    # The duty roster of the station and the 未成年人保护站: kept by the coordinator.
    "roster": {"staff": {"view", "details"}, "coordinator": _WRITE, "manager": _READ, "admin": _WRITE},
    # Subsidy supervision: the coordinator imports and draws samples; staff record their checks.
    "supervision": {"staff": {"view", "details", "edit", "export"}, "coordinator": _WRITE, "manager": _READ,
                    "admin": _READ},
    # The staff roster of the project.
    "staffing": {"coordinator": _WRITE, "manager": _READ, "admin": _WRITE},
    # Indicators, month close, briefs and reports for the bureau.
    "indicators": {"staff": {"view", "details"}, "coordinator": _WRITE, "manager": _READ, "admin": _READ},
    # The contract and its budget lines: defined by the admin.
    "contract": {"coordinator": _READ, "manager": _READ, "admin": _WRITE},
    # The expense ledger and transfers between budget lines.
    "finance": {"coordinator": _WRITE, "manager": _READ, "admin": _WRITE},
    # The to-do centre: the work of those who do it (a worker's own, the team's for a coordinator).
    "todo": {"staff": {"view"}, "coordinator": {"view"}},
    # The data-quality page: the coordinator fixes what it finds (a merge, an assignment); the admin reads it.
    "quality": {"coordinator": {"view", "details", "edit"}, "admin": {"view", "details"}},
}

#: Roles that may see full ID numbers and other sensitive parts of an archive.
SENSITIVE_ROLES = FULL_VIEW_ROLES

MIN_PASSWORD_LENGTH = 8


def allowed(role: str | None, area: str, action: str) -> bool:
    return action in PERMISSIONS.get(area, {}).get(role or "", set())


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(f"密码至少 {MIN_PASSWORD_LENGTH} 位。", field="new_password")
    if password.isdigit() or password.isalpha():
        raise DomainError("密码需同时包含字母和数字。", field="new_password")


def generate_password() -> str:
    """A random password that passes the strength check."""
    while True:
        candidate = secrets.token_urlsafe(9)
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


class User(TrackedDocument):
    username = StringField(required=True, unique=True, max_length=32, regex=r"^[A-Za-z0-9_.-]{3,32}$", verbose_name="用户名")
    display_name = StringField(required=True, max_length=40, verbose_name="姓名")
    role = StringField(required=True, choices=ROLES, verbose_name="角色")
    townships = ListField(ReferenceField(Township), verbose_name="负责街道/乡镇")
    phone = StringField(max_length=20, verbose_name="电话")
    active = BooleanField(default=True, verbose_name="启用")
    password_hash = StringField(verbose_name="密码（加密）")
    failed_logins = IntField(default=0, verbose_name="连续登录失败次数")
    locked_until = DateTimeField(verbose_name="锁定至")
    last_login_at = DateTimeField(verbose_name="最近登录")

    meta = {"collection": "users", "ordering": ["username"], "indexes": ["townships", "active", "role"]}
    scope_field = DISTRICT_WIDE  # accounts are managed centrally by the admin
    unaudited_fields = frozenset({"password_hash", "failed_logins", "locked_until", "last_login_at"})

    def __str__(self):
        return self.display_name or self.username or ""

    def duplicate_message(self, actor=None):
        return f"用户名 {self.username} 已存在。"

    # Flask-Login's user protocol, written out so that models stay free of Flask.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active) and not self.voided

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.pk}:{self.version}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role or "")

    def can(self, area: str, action: str) -> bool:
        return self.is_active and allowed(self.role, area, action)

    @property
    def sees_sensitive(self) -> bool:
        return self.role in SENSITIVE_ROLES

    def township_ids(self) -> list | None:
        """The townships this user is limited to, or None for the whole district."""
        ids = [t.pk if hasattr(t, "pk") else t for t in (self.townships or [])]
        return ids or None

    def set_password(self, password: str) -> None:
        check_password_strength(password)
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASHING["method"])

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password or "")

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or local_now()))


class LoginThrottle(Document):
    """Failed logins under a name that no account has, counted and locked like an
    account's: the answers to a login then never tell which names exist."""

    name = StringField(primary_key=True, max_length=64)
    failed_logins = IntField(default=0)
    locked_until = DateTimeField()

    meta = {"collection": "login_throttles"}
    scope_field = DISTRICT_WIDE  # sign-in bookkeeping, shown on no page

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or local_now()))


def login_throttle(name: str) -> LoginThrottle:
    """The failure count kept for a name without an account (a fresh one if none)."""
    return LoginThrottle.objects(name=name).first() or LoginThrottle(name=name)


_unknown_name_hash: list[str] = []


def check_password_of_nobody(password: str) -> bool:
    """As long as checking a real account's password, and never true: a name without
    an account is not answered faster than one with."""
    if not _unknown_name_hash or not _unknown_name_hash[0].startswith(PASSWORD_HASHING["method"].split(":")[0]):
        _unknown_name_hash[:] = [generate_password_hash(secrets.token_hex(16), method=PASSWORD_HASHING["method"])]
    check_password_hash(_unknown_name_hash[0], password or "")
    return False


def record_login_attempt(user: User | LoginThrottle, success: bool, max_failures: int, lock_minutes: int) -> None:
    """Count failed logins of an account (or of a name without one); lock it for a
    while after too many. Atomic on the one document."""
    now = local_now()
    coll = type(user)._get_collection()
    if success:
        coll.update_one({"_id": user.pk}, {"$set": {"failed_logins": 0, "last_login_at": now},
                                           "$unset": {"locked_until": ""}})
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        return
    failures = (user.failed_logins or 0) + 1
    update = {"$inc": {"failed_logins": 1}}
    if failures >= max_failures:
        user.locked_until = now + dt.timedelta(minutes=lock_minutes)
        update = {"$set": {"failed_logins": 0, "locked_until": user.locked_until}}
        failures = 0
    coll.update_one({"_id": user.pk}, update, upsert=isinstance(user, LoginThrottle))
    user.failed_logins = failures


def set_user_password(user: User, password: str, actor) -> None:
    """Change a password (hashed), with an audit entry that says so but holds no secret."""
    user.set_password(password)
    result = User._get_collection().update_one(
        {"_id": user.pk}, {"$set": {"password_hash": user.password_hash}, "$inc": {"version": 1}}
    )
    if result.matched_count:
        user.version = (user.version or 1) + 1
    write_audit("update", actor, collection="users", record_id=user.pk, record_label=str(user),
                changes=[FieldChange(field="password", label="密码", old="******", new="（已重设）")])


def display_names(usernames) -> dict[str, str]:
    """{login name: the person's name} for the given login names, with one query
    (a record keeps who wrote it by login name; a page shows the person)."""
    wanted = sorted({u for u in usernames if u and isinstance(u, str)})
    if not wanted:
        return {}
    return {u.username: u.display_name or u.username
            for u in User.objects(username__in=wanted).only("username", "display_name")}


# ---------------------------------------------------------------- the audit trail by people's names

#: Actions the start page's "recent activity" leaves out: opening a file is no change
#: (the trail keeps them; a page of photos would push every change off the list).
NOT_RECENT = ("download",)


def people_names(entries) -> dict[str, str]:
    """{login name: the person's name} for the entries' actors, with one query."""
    return display_names(e.actor_name for e in entries)


def actor_label(entry, names: dict[str, str]) -> str:
    """Who made an entry, by name (an account that is gone, or the name typed in a
    failed login, by the login name the entry keeps)."""
    return names.get(entry.actor_name or "") or entry.actor_name or "系统"


def recent_entries(query, limit: int = 10) -> list:
    """The latest entries of ``query`` for the start page, each with ``who`` (a name)."""
    entries = list(query.filter(action__nin=NOT_RECENT).order_by("-at", "-id").limit(limit))
    names = people_names(entries)
    for entry in entries:
        entry.who = actor_label(entry, names)
    return entries
