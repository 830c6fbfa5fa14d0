"""Small builders for test records, through the service layer like the app."""

import io

from PIL import Image

from models.attachments import Attachment, store_file
from models.services import create_record


def png_bytes(size=(40, 30), color=(200, 30, 30), noise_bytes: int = 0) -> bytes:
    image = Image.new("RGB", size, color)
    if noise_bytes:
        import os

        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_attachment(township, title="签到表", actor=None, data=None, kind="scan", filename="scan.png"):
    doc = Attachment(title=title, kind=kind, township=township)
    store_file(doc, data or png_bytes(), filename, 20 * 1024 * 1024)
    return create_record(doc, actor)
