"""Files kept as evidence (scanned forms, sign-in sheets, photos), stored in GridFS."""

from mongoengine import FileField, IntField, ReferenceField, StringField

from .base import TrackedDocument
from .errors import DomainError
from .files import IMAGE_TYPES, base_name, discard_new_files, store_upload
from .reference import Township

ATTACHMENT_KINDS = (
    ("scan", "扫描件"),
    ("photo", "照片"),
    ("signin", "签到表"),
    ("document", "文档"),
    ("other", "其他"),
)
GRIDFS_COLLECTION = "attachment_files"


class Attachment(TrackedDocument):
    title = StringField(required=True, max_length=100, verbose_name="标题")
    kind = StringField(required=True, choices=ATTACHMENT_KINDS, default="scan", verbose_name="类别")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    file = FileField(collection_name=GRIDFS_COLLECTION, verbose_name="文件")
    filename = StringField(verbose_name="文件名")
    content_type = StringField(verbose_name="文件类型")
    size = IntField(verbose_name="大小（字节）")
    note = StringField(max_length=500, verbose_name="说明")

    meta = {"collection": "attachments", "ordering": ["-created_at"], "indexes": ["title", "kind", "township", "-created_at"]}
    scope_field = "township"
    file_fields = ("file",)

    def __str__(self):
        return self.title or ""

    def check_rules(self):
        if not self.file or not self.file.grid_id:
            raise DomainError("请选择要上传的文件。", field="file")
        if self.kind == "photo" and self.content_type not in IMAGE_TYPES.values():
            raise DomainError("照片只能是 JPG、PNG、GIF 或 WEBP 图片。", field="file")


def store_file(doc: Attachment, data: bytes, filename: str, max_bytes: int) -> None:
    """Check an upload and put it in GridFS on ``doc.file``."""
    doc.content_type = store_upload(doc, "file", data, filename, max_bytes, images_only=doc.kind == "photo",
                                    form_field="upload")
    doc.filename = base_name(filename)
    doc.size = len(data)


def discard_new_file(doc: Attachment, before: dict | None) -> None:
    discard_new_files(doc, before)
