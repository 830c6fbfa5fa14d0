"""The import itself: the uploaded file kept as a batch, and written only when every row
is clean (new archives in batches, the others updated, households linked)."""

import hashlib

from mongoengine import FileField, IntField, StringField

from ..archives import ARCHIVE_KINDS
from ..base import DISTRICT_WIDE, TrackedDocument
from ..errors import DomainError
from ..files import base_name
from ..households import link_imported
from ..services import create_record, create_records, snapshot, update_record
from .checking import preview_import
from .columns import HOUSEHOLD_HEAD, HOUSEHOLD_RELATION, KIND_NAMES, _assign
from .reading import Preview


class ImportBatch(TrackedDocument):
    kind = StringField(required=True, choices=tuple(KIND_NAMES.items()), verbose_name="档案类型")
    filename = StringField(verbose_name="文件名")
    file = FileField(collection_name="import_files", verbose_name="文件")
    file_hash = StringField(verbose_name="文件摘要")
    rows_total = IntField(default=0, verbose_name="数据行")
    created_count = IntField(default=0, verbose_name="新建")
    updated_count = IntField(default=0, verbose_name="更新")
    unchanged_count = IntField(default=0, verbose_name="无变化")
    status = StringField(choices=(("previewed", "已预览"), ("imported", "已导入")), default="previewed",
                         verbose_name="状态")

    meta = {"collection": "import_batches", "ordering": ["-created_at"], "indexes": ["-created_at", "created_by"]}
    scope_field = DISTRICT_WIDE  # an uploaded file, shown to scoped users only when they uploaded it (views.archive_import); its rows are checked against the uploader's townships
    file_fields = ("file",)

    def __str__(self):
        return f"{self.filename}（{KIND_NAMES.get(self.kind, '')}）"


def start_batch(data: bytes, filename: str, kind: str, rows_total: int, actor) -> ImportBatch:
    filename = base_name(filename)
    batch = ImportBatch(kind=kind, filename=filename, file_hash=hashlib.sha256(data).hexdigest(),
                        rows_total=rows_total)
    batch.file.put(data, filename=filename,
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return create_record(batch, actor)


def apply_import(batch: ImportBatch, allowed_townships, actor) -> Preview:
    """Re-check the stored file and write it, only if every row is clean."""
    if batch.status == "imported":
        raise DomainError("这个导入批次已经导入过了。")
    data = batch.file.read()
    preview = preview_import(data, batch.kind, allowed_townships)
    if not preview.ok:
        rows = "、".join(str(r.row) for r in preview.problem_rows[:20])
        where = f"第 {rows} 行" + ("等" if len(preview.problem_rows) > 20 else "") if rows else "文件"
        raise DomainError(f"{where}仍有问题，未导入任何数据。请修改后重新上传。")
    model = ARCHIVE_KINDS[batch.kind]
    existing_ids = [r.existing_id for r in preview.rows if r.action == "update"]
    existing = {a.pk: a for a in model.objects(pk__in=existing_ids)} if existing_ids else {}
    updated = unchanged = 0
    new_archives = [row.checked for row in preview.rows if row.action == "create"]
    created = create_records(new_archives, actor, checked=True)  # checked just now, by the preview above
    written = iter(new_archives)
    linked = []
    for row in preview.rows:
        archive_id = next(written).pk if row.action == "create" else row.existing_id
        if row.values.get(HOUSEHOLD_HEAD):
            linked.append((archive_id, row.values[HOUSEHOLD_HEAD], row.values.get(HOUSEHOLD_RELATION) or ""))
    for row in preview.rows:
        if row.action == "create":
            continue
        archive = existing[row.existing_id]
        before = snapshot(archive)
        _assign(archive, row.values)
        if update_record(archive, before, archive.version, actor):
            updated += 1
        else:
            unchanged += 1
    link_imported(linked, actor)
    before = snapshot(batch)
    batch.status = "imported"
    batch.created_count, batch.updated_count, batch.unchanged_count = created, updated, unchanged
    update_record(batch, before, batch.version, actor)
    return preview
