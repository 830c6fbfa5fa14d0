"""The archive lists' own filters (age band, not visited, custom fields, risk level), the
form's rules for the admin-defined fields, and the list's cell formatters."""

import datetime as dt

from flask import has_request_context
from flask_admin.form import rules
from markupsafe import Markup, escape

from models.archives import RISK_LABELS
from models.clock import local_today
from models.custom_fields import definitions_for
from models.visits import not_visited_filter

from ..base import me_filters
from ..forms import HiddenFieldRule

AGE_BANDS = (("0-5", "0–5岁"), ("6-15", "6–15岁"), ("16-17", "16–17岁"), ("18-59", "18–59岁"),
             ("60-79", "60–79岁"), ("80-150", "80岁及以上"))


# ---------------------------------------------------------------- filters


class AgeBandFilter(me_filters.BaseMongoEngineFilter):
    def __init__(self):
        super().__init__("birth_date", "年龄", options=AGE_BANDS)

    def apply(self, query, value):
        low, high = (int(x) for x in value.split("-"))
        today = local_today()
        latest_birth = _years_before(today, low)
        earliest_birth = _years_before(today, high + 1) + dt.timedelta(days=1)
        return query.filter(birth_date__gte=dt.datetime.combine(earliest_birth, dt.time()),
                            birth_date__lte=dt.datetime.combine(latest_birth, dt.time()))

    def operation(self):
        return "在"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class NotVisitedFilter(me_filters.BaseMongoEngineFilter):
    """本期未探访: no counted home visit in the current week, month, quarter or year (the visit marks)."""

    def __init__(self):
        super().__init__("visited_periods", "本期未探访", options=NOT_VISITED_OPTIONS)

    def apply(self, query, value):
        return query.filter(__raw__=not_visited_filter(value))

    def operation(self):
        return "为"


NOT_VISITED_OPTIONS = (("week", "本周未入户探访"), ("month", "本月未入户探访"), ("quarter", "本季度未入户探访"),
                       ("year", "本年未入户探访"))


class RawChoiceFilter(me_filters.BaseMongoEngineFilter):
    """Equality on a field that only some kinds of archive have (queried raw)."""

    def apply(self, query, value):
        return query.filter(__raw__={self.column: value})

    def operation(self):
        return "等于"


class CustomFieldFilter(me_filters.BaseMongoEngineFilter):
    """One filter over every choice and yes/no custom field: '字段：值'."""

    def __init__(self, kind_key):
        super().__init__("custom", "自定义字段", options=self._options)
        self.kind_key = kind_key

    def _options(self):
        if not has_request_context():
            return []
        options = []
        for definition in definitions_for(self.kind_key):
            if definition.kind == "choice":
                options += [(f"{definition.key}::{c}", f"{definition.label}：{c}") for c in definition.choices]
            elif definition.kind == "bool":
                options += [(f"{definition.key}::是", f"{definition.label}：是"),
                            (f"{definition.key}::否", f"{definition.label}：否")]
        return options

    def apply(self, query, value):
        key, _, text = value.partition("::")
        if not key.startswith("f_"):
            return query
        stored = {"是": True, "否": False}.get(text, text) if text in ("是", "否") else text
        return query.filter(__raw__={f"custom.{key}": stored})

    def operation(self):
        return "为"


class CustomFieldsRule(rules.Macro):
    """Renders the admin-defined fields (``cf_*``), whatever they are today."""

    def __init__(self):
        super().__init__("lib.render_field")

    @property
    def visible_fields(self):
        return []

    def __call__(self, form, form_opts=None, field_args=None):
        html = []
        for name, field in form._fields.items():
            if name.startswith("cf_"):
                html.append(super().__call__(form, form_opts, {"form": form, "field": field, "kwargs": {}}))
        return Markup("".join(str(h) for h in html))


CUSTOM_FIELDS = CustomFieldsRule()


VERSION = HiddenFieldRule("record_version")


# ---------------------------------------------------------------- formatters


def _id_list(view, context, model, name):
    return model.masked_id


def _level(view, context, model, name):
    risk = getattr(model, "risk_level", None)
    if risk:
        css = {"1": "danger", "2": "warning", "3": "info"}.get(risk, "secondary")
        return Markup(f'<span class="badge badge-{css}">{escape(RISK_LABELS[risk])}</span>')
    return getattr(model, "capability_level", None) or ""


def _kind(view, context, model, name):
    return model.kind_label


def _age(view, context, model, name):
    return "" if model.age is None else f"{model.age}岁"


def _completeness(view, context, model, name):
    css = "success" if model.complete else "warning"
    title = "缺：" + "、".join(model.missing_items or []) if model.missing_items else "完整"
    return Markup(f'<span class="badge badge-{css}" title="{escape(title)}">{model.completeness or 0}%</span>')


def _last_visit(view, context, model, name):
    if not model.last_visited_at:
        return Markup('<span class="text-muted">无</span>')
    days = (local_today() - model.last_visited_at.date()).days
    return Markup(f'<span title="最近一次计入的入户探访，{days} 天前">{model.last_visited_at:%Y-%m-%d}</span>')


def _name_link(view, context, model, name):
    url = view.get_url(".details_view", id=str(model.pk))
    return Markup(f'<a href="{escape(url)}">{escape(model.name)}</a>')


#: The list's cells that are shown otherwise than stored.
COLUMN_FORMATTERS = {"id_number": _id_list, "level": _level, "kind": _kind, "age": _age,
                     "completeness": _completeness, "name": _name_link, "last_visited_at": _last_visit}
