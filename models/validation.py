"""What a field's declaration refuses, said in Chinese.

The message is decided by the field (its kind, whether it is required, its choices, its
pattern, its length and bounds) and the value it was given, never by the wording of the
database library's English message: a required field left empty is 必填, a value outside
the field's choices 不在可选范围内, a value that does not fit a pattern 格式不正确, a number
past a bound names the bound, and anything else is named by the kind of field."""

from mongoengine import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    DictField,
    EmailField,
    EmbeddedDocumentField,
    FileField,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
    URLField,
    ValidationError,
)

from .money import FenField, format_yuan

REQUIRED = "必填"
NOT_A_CHOICE = "不在可选范围内"
BAD_FORMAT = "格式不正确"

#: What a value of each kind of field must be, subclasses before the classes they extend.
KIND_TEXT = (
    (FenField, "应为金额"),
    (IntField, "应为整数"),
    (FloatField, "应为数字"),
    (DecimalField, "应为数字"),
    (BooleanField, "应为“是”或“否”"),
    (DateField, "应为日期"),
    (DateTimeField, "应为日期和时间"),
    (EmailField, BAD_FORMAT),
    (URLField, BAD_FORMAT),
    (StringField, "应为文字"),
    (ReferenceField, "应为已有的记录"),
    (ObjectIdField, BAD_FORMAT),
    (FileField, "文件无法保存"),
    (ListField, "应为一项或多项"),
    (DictField, BAD_FORMAT),
    (EmbeddedDocumentField, BAD_FORMAT),
)


def label(field, name: str | None = None) -> str:
    return getattr(field, "verbose_name", None) or name or getattr(field, "name", None) or "此项"


def _blank(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def refuses(field, value) -> bool:
    """Whether the field's declaration refuses ``value`` (as the document's validation does)."""
    if _blank(value):
        return bool(field.required)
    try:
        field.validate(value)
    except (ValidationError, TypeError, ValueError):
        return True
    return False


def _choices(field) -> list:
    return [c[0] if isinstance(c, (list, tuple)) else c for c in getattr(field, "choices", None) or ()]


def problem(field, value) -> str:
    """What ``field`` refuses in ``value``, in Chinese (the field's label not included)."""
    if _blank(value):
        return REQUIRED
    if isinstance(field, EmbeddedDocumentField) and hasattr(value, "_fields"):
        for name, inner in value._fields.items():
            inner_value = value._data.get(name)
            if refuses(inner, inner_value):
                return f"“{getattr(inner, 'verbose_name', None) or '其中一项'}”{problem(inner, inner_value)}"
    if isinstance(field, ListField) and isinstance(value, (list, tuple)) and field.field is not None:
        for item in value:
            if refuses(field.field, item):
                return problem(field.field, item)
    choices = _choices(field)
    if choices and not isinstance(value, (list, dict)) and value not in choices:
        return NOT_A_CHOICE
    if isinstance(field, StringField) and isinstance(value, str):
        return _text_problem(field, value)
    if isinstance(field, (IntField, FloatField, DecimalField)):
        bound = _bound_problem(field, value)
        if bound:
            return bound
    return next((text for kind, text in KIND_TEXT if isinstance(field, kind)), BAD_FORMAT)


def _text_problem(field, value: str) -> str:
    if field.max_length is not None and len(value) > field.max_length:
        return f"最多 {field.max_length} 个字（现为 {len(value)} 个）"
    if field.min_length is not None and len(value) < field.min_length:
        return f"至少 {field.min_length} 个字"
    return BAD_FORMAT  # a pattern (regex, e-mail, web address) the text does not fit


def _bound_problem(field, value) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    shown = format_yuan if isinstance(field, FenField) else (lambda n: f"{n:g}")
    if field.min_value is not None and number < float(field.min_value):
        return f"不能小于 {shown(field.min_value)}"
    if field.max_value is not None and number > float(field.max_value):
        return f"不能大于 {shown(field.max_value)}"
    return None


def refusal(doc, name: str) -> str:
    """"label：what is wrong" for the field ``name`` of ``doc`` that its validation refused."""
    field = doc._fields.get(name)
    if field is None:
        return f"{name}：{BAD_FORMAT}"
    return f"{label(field, name)}：{problem(field, doc._data.get(name))}"

