"""The audit trail: who did what to which record, field by field.

Entries are written by the service functions in ``models.services`` and by the
login code; nothing in the app edits or deletes them.
"""

from mongoengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
)

from .clock import local_now

ACTIONS = (
    ("create", "新建"),
    ("update", "修改"),
    ("void", "作废"),
    ("restore", "恢复"),
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("logout", "退出"),
    ("export", "导出"),
    ("import", "导入"),
    ("download", "下载文件"),
    ("recompute", "系统重新计算"),
    ("merge", "合并档案"),
    ("api", "接口调用"),
)
ACTION_LABELS = dict(ACTIONS)


class FieldChange(EmbeddedDocument):
    field = StringField(required=True, verbose_name="字段")
    label = StringField(verbose_name="字段名称")
    old = StringField(verbose_name="原值")
    new = StringField(verbose_name="新值")

    def __str__(self):
        return f"{self.label or self.field}：{self.old or '（空）'} → {self.new or '（空）'}"


class AuditEntry(Document):
    at = DateTimeField(required=True, verbose_name="时间")
    actor_id = StringField(verbose_name="用户ID")
    actor_name = StringField(verbose_name="用户")
    action = StringField(required=True, choices=ACTIONS, verbose_name="操作")
    collection = StringField(verbose_name="数据类别")
    record_id = StringField(verbose_name="记录ID")
    record_label = StringField(verbose_name="记录")
    changes = ListField(EmbeddedDocumentField(FieldChange), verbose_name="变更内容")
    detail = StringField(verbose_name="说明")
    remote_addr = StringField(verbose_name="来源IP")
    township = ReferenceField("Township", verbose_name="街道/乡镇")

    meta = {
        "collection": "audit_entries",
        "indexes": [("-at", "-id"), "actor_name", "record_id", "collection", "action", "township"],
        "ordering": ["-at"],
    }

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {ACTION_LABELS.get(self.action, self.action)}"

    #: Entries about a scoped record are visible only to users of that township.
    scope_field = "township"


def audit_entry(
    action: str,
    actor=None,
    *,
    collection: str | None = None,
    record_id=None,
    record_label: str | None = None,
    changes: list[FieldChange] | None = None,
    detail: str | None = None,
    actor_name: str | None = None,
    remote_addr: str | None = None,
    township=None,
) -> AuditEntry:
    """One entry of the audit trail, not yet written (it carries the actor's name, not stored:
    a record's short history shows the person)."""
    entry = AuditEntry(
        at=local_now(),
        actor_id=str(actor.pk) if actor is not None and actor.pk else None,
        actor_name=actor_name or (actor.username if actor is not None else "系统"),
        action=action,
        collection=collection,
        record_id=str(record_id) if record_id is not None else None,
        record_label=record_label,
        changes=changes or [],
        detail=detail,
        remote_addr=remote_addr,
        township=township,
    )
    entry.actor_display = getattr(actor, "display_name", None) if actor is not None else None
    return entry


def write_audit(action: str, actor=None, **details) -> AuditEntry:
    """Append one entry to the audit trail (the details as for ``audit_entry``)."""
    entry = audit_entry(action, actor, **details)
    entry.save(force_insert=True)
    return entry
