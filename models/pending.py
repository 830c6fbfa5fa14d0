"""Files sent with a form whose save was refused (a missing field, a rule, a
colleague's newer version): kept for the user who sent them, so the form shows
them as already attached and the next save adopts them instead of asking for
the photo again. Files nobody came back for are removed after a while."""

import datetime as dt

from bson import ObjectId
from mongoengine import DateTimeField, Document, FileField, IntField, ObjectIdField, StringField

from .base import DISTRICT_WIDE
from .clock import local_now
from .errors import DomainError
from .files import base_name, check_upload

PENDING_COLLECTION = "pending_files"
#: How many stale files one cleaning pass removes at most (a bounded amount of work per save).
CLEAN_BATCH = 20


class PendingUpload(Document):
    owner = ObjectIdField(required=True, verbose_name="上传人")
    field = StringField(required=True, verbose_name="表单项")
    file = FileField(collection_name=PENDING_COLLECTION, verbose_name="文件")
    filename = StringField(verbose_name="文件名")
    content_type = StringField(verbose_name="文件类型")
    size = IntField(verbose_name="大小（字节）")
    created_at = DateTimeField(required=True, verbose_name="上传时间")

    meta = {"collection": "pending_uploads", "indexes": ["owner", "created_at"]}
    scope_field = DISTRICT_WIDE  # each file is only ever given back to its owner (``owned``)

    def __str__(self):
        return self.filename or "文件"

    def read(self) -> bytes:
        self.file.seek(0)
        return self.file.read() or b""

    @property
    def is_image(self) -> bool:
        return (self.content_type or "").startswith("image/")


def keep_pending(owner_id, field: str, data: bytes, filename: str, max_bytes: int,
                 images_only: bool) -> PendingUpload | None:
    """Keep an upload for its owner; None when it is not acceptable (the save then
    reports why, as it would have without this)."""
    try:
        content_type = check_upload(data, filename, max_bytes, images_only, field)
    except DomainError:
        return None
    pending = PendingUpload(owner=owner_id, field=field, filename=base_name(filename), content_type=content_type,
                            size=len(data), created_at=local_now())
    pending.file.put(data, filename=pending.filename, content_type=content_type)
    pending.save()
    return pending


def owned(owner_id, field: str, ids, max_age_hours: int) -> list[PendingUpload]:
    """The pending uploads named by ``ids`` that belong to ``owner_id`` and to the form field
    ``field`` and are not yet stale, in the order given (others are ignored)."""
    wanted = [i for i in dict.fromkeys(ids or ()) if _is_id(i)]
    if not wanted:
        return []
    cutoff = local_now() - dt.timedelta(hours=max_age_hours)
    found = {str(p.pk): p for p in PendingUpload.objects(pk__in=wanted, owner=owner_id, field=field,
                                                          created_at__gte=cutoff)}
    return [found[i] for i in wanted if i in found]


def forget(pending: list[PendingUpload]) -> None:
    """Remove pending uploads (adopted by a saved record, or given up)."""
    for item in pending:
        if item.file and item.file.grid_id:
            item.file.delete()
        # by id: Document.delete() would delete the (already deleted) file again, by a null id
        PendingUpload._get_collection().delete_one({"_id": item.pk})


def clean_stale(max_age_hours: int) -> int:
    """Remove up to CLEAN_BATCH pending uploads older than ``max_age_hours``; how many."""
    cutoff = local_now() - dt.timedelta(hours=max_age_hours)
    stale = list(PendingUpload.objects(created_at__lt=cutoff).order_by("created_at").limit(CLEAN_BATCH))
    forget(stale)
    return len(stale)


def _is_id(value) -> bool:
    return isinstance(value, str) and ObjectId.is_valid(value)
