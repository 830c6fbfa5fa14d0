"""Form bases: session CSRF with a time limit long enough for a long case note,
and Chinese messages when the token is missing or expired."""

import datetime as dt

from flask_admin.babel import Translations
from flask_admin.form import BaseForm as AdminBaseForm
from flask_admin.form import SecureForm as AdminSecureForm
from flask_admin.form import rules
from flask_admin.form.widgets import DatePickerWidget
from markupsafe import Markup, escape
from wtforms import DateField, DateTimeField, StringField, TextAreaField
from wtforms.csrf.session import SessionCSRF
from wtforms.validators import StopValidation, ValidationError

from models.dates import parse_date, parse_datetime
from models.errors import DomainError
from models.inputs import DATE, normalise
from models.money import format_yuan, parse_yuan

from .i18n import project_translations

CSRF_MESSAGE = "页面已过期或安全校验失败，请重新提交（您填写的内容已保留）。"


class ChineseSessionCSRF(SessionCSRF):
    def validate_csrf_token(self, form, field):
        try:
            super().validate_csrf_token(form, field)
        except (ValueError, KeyError) as exc:
            raise ValidationError(CSRF_MESSAGE) from exc


class ProjectTranslations:
    """The project's catalog first, then WTForms' own (through Flask-Admin)."""

    def __init__(self):
        self.fallback = Translations()

    def gettext(self, string):
        translated = project_translations().gettext(string)
        return translated if translated != string else self.fallback.gettext(string)

    def ngettext(self, singular, plural, n):
        return self.fallback.ngettext(singular, plural, n)


_translations = ProjectTranslations()


class SecureForm(AdminSecureForm):
    class Meta:
        def get_translations(self, form):
            return _translations

        csrf = True
        csrf_class = ChineseSessionCSRF
        csrf_time_limit = dt.timedelta(hours=12)


class EmbeddedChineseForm(AdminBaseForm):
    """The base of embedded forms (a patrol's encounters): the same Chinese
    messages as the record's own form, and no token of its own."""

    class Meta:
        def get_translations(self, form):
            return _translations


def csrf_failed(form) -> bool:
    field = getattr(form, "csrf_token", None)
    return bool(field is not None and field.errors)


class PlainDateField(DateField):
    """A date field that reads any way a person types a date (models.dates), full-width or
    with spaces too (２０２６－０３－０５　)."""

    def process_formdata(self, valuelist):
        text = normalise(DATE, " ".join(valuelist)) if valuelist else ""
        day = parse_date(text) if text else None
        if day is not None:
            self.raw_data, self.data = [text], day
            return
        super().process_formdata([text] if valuelist else valuelist)


class DateOnlyField(PlainDateField):
    """A date picker for a field stored as a datetime at midnight."""

    widget = DatePickerWidget()

    def __init__(self, label=None, validators=None, format="%Y-%m-%d", **kwargs):
        kwargs.pop("queryset", None)
        super().__init__(label, validators, format=format, **kwargs)

    def process_data(self, value):
        if isinstance(value, dt.datetime):
            value = value.date()
        super().process_data(value)

    def populate_obj(self, obj, name):
        setattr(obj, name, dt.datetime.combine(self.data, dt.time()) if self.data else None)


class PlainDateTimeField(DateTimeField):
    """A date and time field that also reads full-width characters and spaces (２０２６－０３－０５　１０：３０)."""

    def process_formdata(self, valuelist):
        text = normalise(DATE, " ".join(valuelist)) if valuelist else ""
        moment = parse_datetime(text) if text else None
        if moment is not None:
            self.raw_data, self.data = [text], moment
            return
        super().process_formdata([text] if valuelist else valuelist)


class YuanField(StringField):
    """An amount typed in yuan ("1280.50") for a field stored as integer fen."""

    def __init__(self, label=None, validators=None, allow_zero=False, **kwargs):
        kwargs.pop("queryset", None)
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "placeholder": "例如 1280.50"})
        super().__init__(label, validators, **kwargs)
        self.allow_zero = allow_zero
        self.fen = None

    def process_data(self, value):
        self.data = format_yuan(value, symbol=False).replace(",", "") if isinstance(value, int) else (value or "")

    def pre_validate(self, form):
        try:
            self.fen = parse_yuan(self.data, allow_zero=self.allow_zero)
        except DomainError as exc:
            raise StopValidation(exc.message) from exc

    def populate_obj(self, obj, name):
        setattr(obj, name, self.fen if self.fen is not None else parse_yuan(self.data, field=name,
                                                                              allow_zero=self.allow_zero))


class LinesField(TextAreaField):
    """A list of short texts typed one per line (names of members or participants)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("queryset", None)
        kwargs.setdefault("render_kw", {"rows": 4, "placeholder": "每行一个"})
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        self.data = "\n".join(value) if isinstance(value, (list, tuple)) else (value or "")

    def populate_obj(self, obj, name):
        lines = [line.strip() for line in (self.data or "").replace("，", "\n").replace("、", "\n").splitlines()]
        setattr(obj, name, [line for line in lines if line])


class CheckboxGroup:
    """A multiple choice shown as one checkbox per option (not a multi-select list): each
    input inside its own label, so a tap anywhere on the option ticks it, also in a row
    added on the page (whose inputs Flask-Admin renames, but not the labels' ``for``)."""

    def __call__(self, field, **kwargs):
        kwargs.pop("class", None)
        kwargs.pop("multiple", None)
        options = []
        for index, choice in enumerate(field.iter_choices()):
            value, label = str(choice.value), choice.label
            checked = " checked" if choice.selected else ""
            options.append(
                f'<label class="check-option"><input type="checkbox" name="{escape(field.name)}" '
                f'id="{escape(field.id)}-{index}" value="{escape(value)}"{checked}> {escape(label)}</label>')
        return Markup(f'<div class="check-group" data-field="{escape(field.short_name)}">'
                      + "".join(options) + "</div>")


class HiddenFieldRule(rules.BaseRule):
    """Declares a hidden input (the record version) part of a rule-laid-out form;
    Flask-Admin renders hidden inputs itself."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    @property
    def visible_fields(self):
        return [self.name]

    def __call__(self, form, form_opts=None, field_args=None):
        return ""
