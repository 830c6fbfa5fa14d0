"""Files kept as evidence (scanned forms, sign-in sheets, photos), stored in GridFS."""

import io

from mongoengine import FileField, IntField, ReferenceField, StringField
from mongoengine.fields import GridFSProxy

from .base import TrackedDocument
from .errors import DomainError
from .reference import Township

ATTACHMENT_KINDS = (
    ("scan", "扫描件"),
    ("photo", "照片"),
    ("signin", "签到表"),
    ("document", "文档"),
    ("other", "其他"),
)
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
DOCUMENT_EXTENSIONS = {".pdf", ".docx", ".xlsx", ".doc", ".xls", ".jpg", ".jpeg", ".png", ".webp", ".gif"}
GRIDFS_COLLECTION = "attachment_files"


def sniff_image(data: bytes) -> str | None:
    """The MIME type of an image, read from its content (not its name), or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return IMAGE_TYPES.get(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


class Attachment(TrackedDocument):
    title = StringField(required=True, max_length=100, verbose_name="标题")
    kind = StringField(required=True, choices=ATTACHMENT_KINDS, default="scan", verbose_name="类别")
    township = ReferenceField(Township, required=True, verbose_name="街道/乡镇")
    file = FileField(collection_name=GRIDFS_COLLECTION, verbose_name="文件")
    filename = StringField(verbose_name="文件名")
    content_type = StringField(verbose_name="文件类型")
    size = IntField(verbose_name="大小（字节）")
    note = StringField(max_length=500, verbose_name="说明")

    meta = {"collection": "attachments", "ordering": ["-created_at"], "indexes": ["township", "-created_at"]}
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
    """Check an upload and put it in GridFS on ``doc.file``. Refuses empty,
    too large, unknown types, and non-images for photos."""
    import os

    if not data:
        raise DomainError("请选择要上传的文件。", field="upload")
    if len(data) > max_bytes:
        raise DomainError(f"文件过大：不能超过 {max_bytes // (1024 * 1024)} MB。", field="upload")
    image_type = sniff_image(data)
    extension = os.path.splitext(filename or "")[1].lower()
    if doc.kind == "photo" and image_type is None:
        raise DomainError("照片必须是图片文件（JPG、PNG、GIF、WEBP）。", field="upload")
    if image_type is None and extension not in DOCUMENT_EXTENSIONS:
        raise DomainError("不支持的文件类型：只能上传图片、PDF、Word 或 Excel 文件。", field="upload")
    content_type = image_type or _document_type(extension)
    # Always a new GridFS file: a replaced file stays, as evidence of what was there.
    proxy = GridFSProxy(collection_name=GRIDFS_COLLECTION, instance=doc, key="file")
    proxy.put(data, filename=filename, content_type=content_type)
    doc.file = proxy
    doc.filename = filename
    doc.content_type = content_type
    doc.size = len(data)


def discard_new_file(doc: Attachment, before: dict | None) -> None:
    """Remove a file stored for a save that was then refused (nothing half-saved)."""
    old_id = (before or {}).get("file")
    if doc.file and doc.file.grid_id and doc.file.grid_id != old_id:
        doc.file.delete()


def _document_type(extension: str) -> str:
    return {
        ".pdf": "application/pdf",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".doc": "application/msword",
        ".xls": "application/vnd.ms-excel",
    }.get(extension, "application/octet-stream")
