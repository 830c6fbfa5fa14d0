"""The app's request: every form field and address argument a page reads arrives
without control characters (models.text), so no page, form or custom action can
hand a NUL to the database or an export."""

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

from models.text import without_control_characters


def _cleaned(values):
    return ImmutableMultiDict(
        (without_control_characters(key), without_control_characters(value) if isinstance(value, str) else value)
        for key, value in values.items(multi=True))


class CleanRequest(Request):
    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _cleaned(self.__dict__["form"])

    @cached_property
    def args(self):
        return _cleaned(super().args)
