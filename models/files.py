"""Uploaded files in GridFS: checked by content, never overwritten in place."""

import io
import os

from mongoengine.fields import GridFSProxy

from .errors import DomainError

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
}


def sniff_image(data: bytes) -> str | None:
    """The MIME type of an image, read from its content (not its name), or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return IMAGE_TYPES.get(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def check_upload(data: bytes, filename: str, max_bytes: int, images_only: bool, field: str) -> str:
    """The content type of an acceptable upload, or a DomainError."""
    if not data:
        raise DomainError("请选择要上传的文件。", field=field)
    if len(data) > max_bytes:
        raise DomainError(f"文件过大：不能超过 {max_bytes // (1024 * 1024)} MB。", field=field)
    image_type = sniff_image(data)
    if images_only and image_type is None:
        raise DomainError("照片必须是图片文件（JPG、PNG、GIF、WEBP）。", field=field)
    extension = os.path.splitext(filename or "")[1].lower()
    if image_type is None and extension not in DOCUMENT_TYPES:
        raise DomainError("不支持的文件类型：只能上传图片、PDF、Word 或 Excel 文件。", field=field)
    return image_type or DOCUMENT_TYPES[extension]


def store_upload(doc, field_name: str, data: bytes, filename: str, max_bytes: int, images_only: bool = False,
                 form_field: str | None = None) -> str:
    """Put an upload in GridFS on ``doc.<field_name>``; returns its content type.
    Always a new file: a replaced one stays, as evidence of what was there."""
    content_type = check_upload(data, filename, max_bytes, images_only, form_field or field_name)
    field = doc._fields[field_name]
    proxy = GridFSProxy(collection_name=field.collection_name, instance=doc, key=field_name)
    proxy.put(data, filename=filename, content_type=content_type)
    setattr(doc, field_name, proxy)
    return content_type


def discard_new_files(doc, before: dict | None) -> None:
    """Remove files stored for a save that was then refused (nothing half-saved)."""
    for name in getattr(doc, "file_fields", ()):
        proxy = getattr(doc, name, None)
        old_id = (before or {}).get(name)
        if proxy is not None and proxy.grid_id and proxy.grid_id != old_id:
            proxy.delete()
