"""Every registered model view × action (list, details, edit, each export type, each
ajax lookup) × role × a record of the user's own and of another township: what the
permission table (models.users.PERMISSIONS) and the kind's scope declaration
(``scope_field``) say. The views and actions come from the app's view registry and
the records from a generic factory over the models' fields, so a new view is
checked without touching this file (a kind the factory cannot fill gets an entry
in OVERRIDES)."""

import csv
import datetime as dt
import io
import re

import mongoengine
import pytest
from bson import ObjectId

from admin_app.accounts import create_user
from models import idnumber
from models.archives import Archive, ChildArchive
from models.audit import AuditEntry
from models.base import DISTRICT_WIDE, placed_townships
from models.errors import DomainError
from models.money import FenField
from models.reference import Township
from models.services import create_record
from models.users import ROLES, User, allowed
from seeds.loader import load_reference_data
from views.base import SecureModelView

from .conftest import PASSWORD, login, make_app

OWN, FOREIGN = "东江街道", "穿山街道"
MARKERS = {OWN: "甲标记", FOREIGN: "乙标记"}
DAY = dt.datetime(2026, 3, 2)
SEQUENCE = iter(range(100, 100000))
DAYS = iter(range(0, 100000))

#: Values a kind needs beyond what its field types give (a valid ID number, a user name).
OVERRIDES = {
    "User": lambda t: {"username": f"u{next(SEQUENCE)}", "role": "staff"},
    "ChildArchive": lambda t: {"birth_date": dt.datetime(2016, 5, 1),
                               "id_number": idnumber.make("450305", dt.date(2016, 5, 1), next(SEQUENCE))},
    "ElderlyArchive": lambda t: {"birth_date": dt.datetime(1940, 1, 1),
                                 "id_number": idnumber.make("450305", dt.date(1940, 1, 1), next(SEQUENCE))},
    "HomelessArchive": lambda t: {"birth_date": dt.datetime(1970, 1, 1),
                                  "id_number": idnumber.make("450305", dt.date(1970, 1, 1), next(SEQUENCE))},
}
CONCRETE = {Archive: ChildArchive}  # a reference to an archive gets a child's


def scoped(model) -> bool:
    """Whether records of ``model`` are limited to their townships: unless the kind
    itself declares DISTRICT_WIDE, a record placed in a township stays in it."""
    for cls in model.__mro__:
        if isinstance(cls, type) and issubclass(cls, mongoengine.Document) and not cls._meta.get("abstract") \
                and "scope_field" in vars(cls):
            return vars(cls)["scope_field"] is not DISTRICT_WIDE
    return True  # no decision: treated as scoped (and the declaration test fails)


def _township_field(field) -> bool:
    inner = field.field if isinstance(field, mongoengine.ListField) else field
    return isinstance(inner, mongoengine.ReferenceField) and inner.document_type is Township


class Factory:
    """One record of a kind per township, its required fields filled by type, every
    free text field carrying the township's marker, references made the same way."""

    def __init__(self, townships):
        self.townships = townships
        self.made: dict = {}

    def record(self, cls, township_name):
        cls = CONCRETE.get(cls, cls)
        key = (cls, township_name)
        if key not in self.made:
            self.made[key] = self._existing(cls, township_name) or self._build(cls, township_name)
        return self.made[key]

    def _existing(self, cls, township_name):
        township = self.townships[township_name]
        if cls is Township:
            return township
        if cls is AuditEntry:
            return AuditEntry.objects(township=township.pk).order_by("-at", "-id").first()  # on the first page
        if cls.__name__ == "Community":
            return cls.objects(township=township.pk).first()  # seeded reference data
        if not scoped(cls) and cls is not User:
            seeded = list(cls.objects.limit(2))  # reference data, rules, the contract: as loaded
            if seeded:
                return seeded[0] if township_name == OWN else seeded[-1]
        return None

    def _build(self, cls, township_name):
        self.made[(cls, township_name)] = None  # a cycle of required references ends here
        values = self._values(cls, township_name)
        values.update(OVERRIDES.get(cls.__name__, lambda t: {})(township_name))
        doc = cls(**{k: v for k, v in values.items() if v is not None})
        try:
            return create_record(doc, None)
        except DomainError:  # a domain rule wants more than the types give: stored as filled
            doc.version, doc.created_at, doc.created_by = 1, DAY, "测试"
            doc.save(force_insert=True, validate=False)
            return doc

    def _values(self, cls, township_name):
        values = {}
        bookkeeping = {"version", "created_at", "created_by", "updated_at", "updated_by", "voided", "void_reason",
                       "voided_at", "voided_by", "id"}
        for name, field in cls._fields.items():
            if name in bookkeeping or name.startswith("_"):
                continue
            if _township_field(field):  # every township the record names is the one it is made for
                township = self.townships[township_name]
                values[name] = [township] if isinstance(field, mongoengine.ListField) else township
            elif isinstance(field, mongoengine.StringField) and not field.choices and not field.regex \
                    and not getattr(field, "sensitive", None):
                values[name] = f"{MARKERS[township_name]}{next(SEQUENCE)}{cls.__name__}"[:field.max_length or 100]
            elif field.required:
                values[name] = self._value(field, township_name)
        return values

    def _value(self, field, township_name):
        if getattr(field, "choices", None):
            first = field.choices[0]
            return first[0] if isinstance(first, (tuple, list)) else first
        if isinstance(field, mongoengine.ReferenceField):
            return self.record(field.document_type, township_name)
        if isinstance(field, mongoengine.ListField):
            inner = self._value(field.field, township_name)
            return [inner] if inner is not None else []
        if isinstance(field, mongoengine.EmbeddedDocumentField):
            embedded = field.document_type
            return embedded(**{n: self._value(f, township_name) for n, f in embedded._fields.items() if f.required})
        if isinstance(field, mongoengine.DateTimeField):
            return DAY + dt.timedelta(days=next(DAYS))  # a different day each: (day, place) is unique
        if isinstance(field, FenField):
            return 10000
        if isinstance(field, mongoengine.IntField):
            return 12
        if isinstance(field, mongoengine.FloatField):
            return 2.0
        if isinstance(field, mongoengine.BooleanField):
            return False
        if isinstance(field, mongoengine.ObjectIdField):
            return ObjectId()
        if isinstance(field, mongoengine.StringField):
            return f"{MARKERS[township_name]}"[:field.max_length or 100]
        return None


def model_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, SecureModelView)]


@pytest.fixture(scope="module")
def world():
    app = make_app()
    with app.app_context():
        load_reference_data()
        townships = {t.name: t for t in Township.objects}
        factory = Factory(townships)
        views = model_views(app)
        for view in sorted(views, key=lambda v: v.model is AuditEntry):  # the trail once the records are written
            for name in (OWN, FOREIGN):
                factory.record(view.model, name)
        users = {}
        for role, _label in ROLES:
            users[(role, "scoped")] = create_user(f"m_{role}_own", role, f"{role}本街道", PASSWORD,
                                                  townships=[townships[OWN]])[0]
            users[(role, "district")] = create_user(f"m_{role}_all", role, f"{role}全区", PASSWORD)[0]
    clients = {}  # outside the app context: each request has its own (Flask-Login keeps the user there)
    for key, user in users.items():
        clients[key] = app.test_client()
        assert login(clients[key], user.username).status_code == 302
    return {"app": app, "views": views, "factory": factory, "users": users, "clients": clients,
            "townships": townships}


def _cases(world):
    for view in world["views"]:
        for (role, reach), client in world["clients"].items():
            yield view, role, reach, client


def _record(world, view, township_name):
    record = world["factory"].record(view.model, township_name)
    assert record is not None, f"{view.model.__name__}: 没有 {township_name} 的记录（请在 OVERRIDES 中补充）"
    return record


def _hidden(view, reach) -> bool:
    """Whether a record of the other township must stay out of sight."""
    return reach == "scoped" and scoped(view.model)


def _final(client, url, pk):
    """The response to ``url``, following redirects that stay on the same record (the
    all-archives view hands an archive on to its kind's view)."""
    response = client.get(url)
    while response.status_code == 302 and str(pk) in response.headers.get("Location", ""):
        response = client.get(response.headers["Location"])
    return response


def _check(failures, condition, view, role, reach, what):
    if not condition:
        failures.append(f"{view.endpoint} {role}/{reach}: {what}")


def test_lists_show_own_records_and_never_another_townships(world):
    failures = []
    for view, role, reach, client in _cases(world):
        response = client.get(f"{view.url}/")
        if not allowed(role, view.area, "view"):
            _check(failures, response.status_code == 403, view, role, reach, f"列表应拒绝，得到 {response.status_code}")
            continue
        _check(failures, response.status_code == 200, view, role, reach, f"列表 {response.status_code}")
        page = response.get_data(as_text=True)
        own, foreign = _record(world, view, OWN), _record(world, view, FOREIGN)
        _check(failures, str(own.pk) in page, view, role, reach, "列表中没有本街道的记录")
        if _hidden(view, reach):
            _check(failures, str(foreign.pk) not in page, view, role, reach, "列表中出现其他街道的记录")
        else:
            _check(failures, str(foreign.pk) in page, view, role, reach, "全区可见的记录没有列出")
    assert not failures, "\n".join(failures)


def test_details_and_edit_open_own_records_only(world):
    failures = []
    for view, role, reach, client in _cases(world):
        for township_name in (OWN, FOREIGN):
            record = _record(world, view, township_name)
            hidden = township_name == FOREIGN and _hidden(view, reach)
            for action, url in (("details", f"{view.url}/details/?id={record.pk}"),
                                ("edit", f"{view.url}/edit/?id={record.pk}")):
                response = _final(client, url, record.pk)
                permitted = allowed(role, view.area, "view") and (
                    view.can_view_details if action == "details"
                    else view.editable and allowed(role, view.area, "edit"))
                if not permitted:
                    _check(failures, response.status_code in (403, 404), view, role, reach,
                           f"{action} 应拒绝（{township_name}），得到 {response.status_code}")
                elif hidden:
                    _check(failures, response.status_code in (302, 404) and MARKERS[FOREIGN] not in
                           response.get_data(as_text=True), view, role, reach,
                           f"{action} 打开了其他街道的记录（{response.status_code}）")
                else:
                    _check(failures, response.status_code == 200, view, role, reach,
                           f"{action} {township_name} 得到 {response.status_code}")
    assert not failures, "\n".join(failures)


def _export_text(response) -> str:
    if "spreadsheetml" in response.headers.get("Content-Type", ""):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r
                         if c is not None)
    return "\n".join(",".join(row) for row in csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_exports_hold_own_records_and_never_another_townships(world):
    failures = []
    for view in world["views"]:
        district_text = {}  # what the same role exports for the whole district
        for (role, reach), client in world["clients"].items():
            for kind in view.export_types:
                if reach == "district":
                    response = client.get(f"{view.url}/export/{kind}/")
                    district_text[(role, kind)] = _export_text(response) if response.status_code == 200 else ""
        for (role, reach), client in world["clients"].items():
            for kind in view.export_types:
                response = client.get(f"{view.url}/export/{kind}/")
                if not (allowed(role, view.area, "view") and allowed(role, view.area, "export")):
                    _check(failures, response.status_code in (302, 403), view, role, reach,
                           f"导出 {kind} 应拒绝，得到 {response.status_code}")
                    continue
                _check(failures, response.status_code == 200, view, role, reach, f"导出 {kind} {response.status_code}")
                text = _export_text(response)
                if MARKERS[OWN] in district_text.get((role, kind), ""):
                    _check(failures, MARKERS[OWN] in text, view, role, reach, f"导出 {kind} 缺本街道的记录")
                if _hidden(view, reach):
                    _check(failures, MARKERS[FOREIGN] not in text, view, role, reach,
                           f"导出 {kind} 含其他街道的记录")
    assert not failures, "\n".join(failures)


def test_every_export_names_a_record(world):
    """The export check above sees a record by its marker: every exporting view must
    carry one (a free text column or a referenced record's name)."""
    blind = []
    client = world["clients"][("coordinator", "district")]
    for view in world["views"]:
        for kind in view.export_types:
            response = client.get(f"{view.url}/export/{kind}/")
            if response.status_code == 200 and MARKERS[OWN] not in _export_text(response):
                blind.append(f"{view.endpoint} {kind}")
    unchecked = [name for name in blind if not _counted_by_rows(world, name)]
    assert not unchecked, f"导出中看不出记录：{unchecked}"


def _counted_by_rows(world, name) -> bool:
    """A view whose export carries no marker is checked by its row count instead:
    the township-limited user exports fewer rows than the district user."""
    endpoint, kind = name.split(" ")
    view = next(v for v in world["views"] if v.endpoint == endpoint)
    if not scoped(view.model) or not allowed("coordinator", view.area, "export"):
        return True
    counts = {}
    for reach in ("scoped", "district"):
        response = world["clients"][("coordinator", reach)].get(f"{view.url}/export/{kind}/")
        counts[reach] = len([line for line in _export_text(response).splitlines() if line.strip()])
    return counts["scoped"] < counts["district"]


def test_ajax_lookups_offer_records_of_the_users_townships_only(world):
    failures = []
    for view, role, reach, client in _cases(world):
        if not allowed(role, view.area, "view"):
            continue
        for name in (view.form_ajax_refs or {}):
            target = view._form_ajax_refs[name].model
            response = client.get(f"{view.url}/ajax/lookup/?name={name}&query=")
            _check(failures, response.status_code == 200, view, role, reach, f"ajax {name} {response.status_code}")
            if response.status_code != 200 or not (reach == "scoped" and scoped(target)):
                continue
            limited = {world["townships"][OWN].pk}
            for pk, _label in response.get_json():
                found = target.objects(pk=pk).first()
                _check(failures, found is not None and set(placed_townships(found)) & limited, view, role, reach,
                       f"ajax {name} 给出了其他街道的 {target.__name__} {pk}")
            foreign = world["factory"].made.get((CONCRETE.get(target, target), FOREIGN))
            if foreign is not None:
                body = client.get(f"{view.url}/ajax/lookup/?name={name}&query={MARKERS[FOREIGN]}").get_json() or []
                _check(failures, str(foreign.pk) not in {str(pk) for pk, _ in body}, view, role, reach,
                       f"ajax {name} 搜到了其他街道的记录")
    assert not failures, "\n".join(failures)


def test_the_matrix_covers_every_model_view(world):
    """Each registered model view got a record of both townships (so none is skipped)."""
    missing = [v.endpoint for v in world["views"] for t in (OWN, FOREIGN)
               if world["factory"].record(v.model, t) is None]
    assert not missing
    assert re.search("donation", " ".join(v.endpoint for v in world["views"]))
    assert User.objects(username="m_staff_own").first().township_ids() == [world["townships"][OWN].pk]
