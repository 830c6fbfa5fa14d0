"""A model form's page read as a browser reads it: the fields it would post
and their current values, and the database's state to compare before and after a post."""

import html
import re
from html.parser import HTMLParser

from mongoengine.connection import get_db

#: A form page that says what was wrong: a field's error or an error message.
ERROR_SHOWN = re.compile(r'class="[^"]*(invalid-feedback|is-invalid|alert-danger)')
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class FormFields(HTMLParser):
    """The fields a browser would post from a page's model form: name, kind,
    current values and the values offered (for drop-downs)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, dict] = {}
        self.in_form = False
        self.select = None
        self.option = None
        self.textarea = None

    def _add(self, name, kind, values, **extra):
        field = self.fields.setdefault(name, {"kind": kind, "values": [], "options": [], **extra})
        field["values"].extend(values)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "admin-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form or not a.get("name") and tag != "option":
            return
        name = a.get("name")
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                self._add(name, kind, [a.get("value", "y")] if "checked" in a else [])
                field = self.fields[name]
                field["options"].append(a.get("value", "y"))
                if kind == "checkbox" and len(field["options"]) > 1:
                    field["kind"] = "multi-select"  # a group of checkboxes is a multiple choice (处置)
                return
            if a.get("data-role") == "select2-ajax":
                kind = "ajax-multi" if a.get("data-multiple") else "ajax"
            elif a.get("data-role") in ("datepicker", "datetimepicker"):
                kind = "date"
            elif a.get("inputmode") in ("decimal", "numeric") or kind == "number":
                kind = "number"
            self._add(name, kind, [a.get("value", "")])
        elif tag == "select":
            self.select = name
            self._add(name, "multi-select" if "multiple" in a else "select", [])
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.fields[self.select]["options"].append(value)
            if "selected" in a:
                self.fields[self.select]["values"].append(value)
            self.option = value
        elif tag == "textarea":
            self.textarea = name
            self._add(name, "textarea", [""])

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            field = self.fields.get(self.select)
            if field is not None and field["kind"] == "select" and not field["values"] and field["options"]:
                field["values"].append(field["options"][0])  # what a browser sends with nothing selected
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea]["values"][-1] += data.removeprefix("\n") \
                if not self.fields[self.textarea]["values"][-1] else data


INLINE_TEMPLATE = re.compile(r'<div class="inline-field" id="([\w-]+)">.*?<div class="inline-field-template d-none">'
                             r"\s*<textarea[^>]*>(.*?)</textarea>", re.S)


def form_fields(page: str) -> dict[str, dict]:
    """The page's form fields, and those of one new entry of each embedded list
    (as the page's "add" button would insert them)."""
    parser = FormFields()
    parser.feed(page)
    fields = parser.fields
    for list_name, template in INLINE_TEMPLATE.findall(page):
        inner = FormFields()
        inner.in_form = True
        inner.feed(html.unescape(template))
        for name, field in inner.fields.items():
            fields.setdefault(f"{list_name}-0-{name}", field)
    fields.pop("csrf_token", None)
    return fields


def posted(fields: dict, changes: dict) -> dict:
    data = {name: (f["values"] if len(f["values"]) != 1 else f["values"][0]) for name, f in fields.items()}
    data = {k: v for k, v in data.items() if v != []}
    data.update(changes)
    return data


def counts() -> dict[str, int]:
    """How many documents each collection holds (empty ones left out: reading creates them on mongomock)."""
    db = get_db()
    found = {name: db[name].count_documents({}) for name in db.list_collection_names()}
    return {name: count for name, count in found.items() if count}


def stored(model, pk):
    """A record as stored, to compare before and after a post."""
    return model._get_collection().find_one({"_id": pk})
