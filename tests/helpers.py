"""Small builders for test records, through the service layer like the app."""

import io
import threading
from html.parser import HTMLParser

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


class FormFields(HTMLParser):
    """The fields of the first form on a page that takes files: name -> attributes,
    with ``value`` (a list for a multiple select) and ``kind`` (input type, select, textarea)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, dict] = {}
        self._in_form = self._done = False
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form" and not self._done and attrs.get("enctype") == "multipart/form-data":
            self._in_form = True
        if not self._in_form or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            self.fields.setdefault(attrs["name"], {**attrs, "kind": attrs.get("type", "text")})
        elif tag == "select":
            self._select = self.fields.setdefault(attrs["name"], {**attrs, "kind": "select", "options": [],
                                                                  "value": []})
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value", ""))
            if "selected" in attrs:
                self._select["value"].append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = self.fields.setdefault(attrs["name"], {**attrs, "kind": "textarea", "value": ""})

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def form_fields(html: str) -> dict[str, dict]:
    parser = FormFields()
    parser.feed(html)
    return parser.fields


def response_text(response) -> str:
    """What a user reads in a response: a page's text, a CSV file's, an Excel
    workbook's cells or a Word document's paragraphs and table cells."""
    kind = response.headers.get("Content-Type", "")
    data = response.get_data()
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    if "wordprocessingml" in kind:
        from docx import Document

        document = Document(io.BytesIO(data))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    return response.get_data(as_text=True)


def run_in_thread(work) -> None:
    """Run ``work`` in a thread of its own (as another process would) and wait for it; its error fails the test."""
    errors: list = []

    def run():
        try:
            work()
        except Exception as exc:  # fails the test below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive() and not errors, errors
