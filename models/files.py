"""Uploaded files in GridFS: checked by content, never overwritten in place."""

import io
import os
import warnings

from mongoengine.fields import GridFSProxy
from PIL import Image, UnidentifiedImageError

from .errors import DomainError

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
}
_ZIP = b"PK\x03\x04"  # .docx and .xlsx are zip packages
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc and .xls are OLE compound files
#: How each accepted document kind begins: its content must say what its name says.
DOCUMENT_SIGNATURES = {".pdf": b"%PDF-", ".docx": _ZIP, ".xlsx": _ZIP, ".doc": _OLE, ".xls": _OLE}
#: How each accepted image kind begins (for serving; an upload is checked by Pillow).
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))

#: The largest picture accepted, in pixels (width x height): a small file can hold a
#: picture that takes gigabytes to decode. Set from the MAX_IMAGE_MEGAPIXELS setting.
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
_limits = {"max_image_pixels": DEFAULT_MAX_IMAGE_PIXELS}


def set_max_image_pixels(pixels: int) -> None:
    _limits["max_image_pixels"] = pixels


def base_name(filename: str | None) -> str:
    """A file's own name, without any folder sent with it (``../../x.png`` gives
    ``x.png``, and so do backslashes) and without control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name if name.strip(".") else "未命名"


def image_type_of(head: bytes) -> str | None:
    """The MIME type of an accepted image kind, from a file's first bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in IMAGE_SIGNATURES if head.startswith(signature)), None)


def _too_large(field: str | None) -> DomainError:
    limit = _limits["max_image_pixels"]
    return DomainError(f"图片尺寸过大（超过 {limit // 10_000} 万像素），请缩小后再上传。", field=field)


def sniff_image(data: bytes, field: str | None = None) -> str | None:
    """The MIME type of an image, read from its content (not its name), or None.
    A picture over the pixel limit is refused (DomainError) before it is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the limit below is ours
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > _limits["max_image_pixels"]:
                    raise _too_large(field)
                image.verify()
                return IMAGE_TYPES.get(image.format)
    except Image.DecompressionBombError as exc:
        raise _too_large(field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def check_upload(data: bytes, filename: str, max_bytes: int, images_only: bool, field: str) -> str:
    """The content type of an acceptable upload, or a DomainError. The content decides:
    an image is one Pillow reads; a document must begin as its kind does."""
    if not data:
        raise DomainError("请选择要上传的文件。", field=field)
    if len(data) > max_bytes:
        raise DomainError(f"文件过大：不能超过 {max_bytes // (1024 * 1024)} MB。", field=field)
    image_type = sniff_image(data, field)
    if image_type is not None:
        return image_type
    if images_only:
        raise DomainError("照片必须是图片文件（JPG、PNG、GIF、WEBP）。", field=field)
    extension = os.path.splitext(base_name(filename))[1].lower()
    if extension not in DOCUMENT_TYPES:
        raise DomainError("不支持的文件类型：只能上传图片、PDF、Word 或 Excel 文件。", field=field)
    if not data.startswith(DOCUMENT_SIGNATURES[extension]):
        raise DomainError(f"文件内容与类型不符：这不是有效的 {extension[1:].upper()} 文件，请检查后重新选择。",
                          field=field)
    return DOCUMENT_TYPES[extension]


def store_upload(doc, field_name: str, data: bytes, filename: str, max_bytes: int, images_only: bool = False,
                 form_field: str | None = None) -> str:
    """Put an upload in GridFS on ``doc.<field_name>``; returns its content type.
    Always a new file: a replaced one stays, as evidence of what was there."""
    content_type = check_upload(data, filename, max_bytes, images_only, form_field or field_name)
    field = doc._fields[field_name]
    proxy = GridFSProxy(collection_name=field.collection_name, instance=doc, key=field_name)
    proxy.put(data, filename=base_name(filename), content_type=content_type)
    setattr(doc, field_name, proxy)
    return content_type


def discard_new_files(doc, before: dict | None) -> None:
    """Remove files stored for a save that was then refused (nothing half-saved)."""
    for name in getattr(doc, "file_fields", ()):
        proxy = getattr(doc, name, None)
        old_id = (before or {}).get(name)
        if proxy is not None and proxy.grid_id and proxy.grid_id != old_id:
            proxy.delete()
