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
from views.api import data_endpoints
from views.base import SecureModelView

from .conftest import PASSWORD, login, make_app
from .form_pages import counts

OWN, FOREIGN = "东江街道", "穿山街道"
MARKERS = {OWN: "甲标记", FOREIGN: "乙标记"}
DAY = dt.datetime(2026, 3, 2)
SEQUENCE = iter(range(100, 100000))
DAYS = iter(range(0, 100000))

#: Values a kind needs beyond what its field types give (a valid ID number, a user name).
OVERRIDES = {
    "User": lambda t: {"username": f"u{next(SEQUENCE)}", "role": "staff"},
    "GroupSeries": lambda t: {"members": ["成员甲", "成员乙"]},
    "Patrol": lambda t: {"start_time": "19:00", "end_time": "21:00"},
    "Brief": lambda t: {"month": "2026-03", "issue_number": next(SEQUENCE)},
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


# ---------------------------------------------------------------- every other route


class Page:
    """How a page beyond the stock list, record and export pages is asked and what it
    needs: the permission-table action on its view's area (``area`` where the page
    checks another), and whether it shows one record of the view (``?id=``), several
    (``?ids=``) or none."""

    def __init__(self, action="view", asks="plain", args=None, area=None, district_wide=False):
        self.action, self.asks, self.args, self.area = action, asks, dict(args or {}), area
        #: A page without a record that lists every township's rows to everyone (its kind is district-wide).
        self.district_wide = district_wide


#: Every custom page and action of the url_map (``@expose`` routes). A new route must be
#: added here or to EXEMPT, or ``test_every_route_is_in_the_matrix`` fails.
PAGES = {
    "admin.index": Page(area="any"),
    "archive.bulk_view": Page("edit", "ids", {"op": "assign"}),
    "archive.print_view": Page("view", "record"),
    "childarchive.print_view": Page("view", "record"),
    "elderlyarchive.print_view": Page("view", "record"),
    "homelessarchive.print_view": Page("view", "record"),
    "childarchive.risk_view": Page("edit", "record"),
    "elderlyarchive.capability_view": Page("edit", "record"),
    "groupseries.session_view": Page("edit", "record"),
    "volunteer.certificate_view": Page("view", "record"),
    "brief.docx_view": Page("view", "record"),
    "brief.draft_view": Page("edit"),  # POST only
    "brief.regenerate_view": Page("edit"),  # POST only
    "brief.issue_view": Page("edit"),  # POST only
    "yearsummary.docx_view": Page("view", "record"),
    "yearsummary.draft_view": Page("edit"),  # POST only
    "yearsummary.regenerate_view": Page("edit"),  # POST only
    "yearsummary.issue_view": Page("edit"),  # POST only
    "issuedreport.download_view": Page("view", "record"),  # a file made by 签发: tests/test_brief_issue.py
    "concern.alerts_view": Page(),
    "dutyday.month_view": Page(district_wide=True),
    "escort.summary_view": Page(),
    "patrol.weeks_view": Page(),
    "publicity.months_view": Page(),
    "training.coverage_view": Page(),
    "staffmember.check_view": Page(),
    "archiveimport.index": Page("create"),
    "archiveimport.template": Page("create", args={"kind": "child"}),
    "archiveimport.confirm": Page("create"),  # POST only: an uploader's batch, tested below
    "archiveimport.download": Page("create"),  # an uploader's batch, tested below
    "budget.index": Page(),
    "budget.export": Page("export"),
    "indicators.index": Page(),
    "indicators.detail": Page(args={"code": "visits.home"}),
    "indicators.close_view": Page(),
    "indicators.report": Page("export"),
    "indicators.summary": Page("export"),
    "indicators.townships": Page(),
    "schedule.index": Page(),
    "schedule.calendar": Page(),
    "schedule.compliance_view": Page(),
    "schedule.export": Page(),
    "elderlyregister.index": Page(),
    "subsidy.index": Page(),
    "subsidy.import_view": Page("create"),  # POST only
    "subsidy.template_view": Page(args={"kind": "assessment"}),
    "household.member_view": Page("edit", "record"),  # POST only: tests/test_households.py
    "household.leave_view": Page("edit", "record"),  # POST only: tests/test_households.py
    "todo.index": Page(),
    "todo.count": Page(),
    "field.index": Page("create"),
    "field.data": Page("create"),
    "field.sync": Page("create"),  # POST only: tests/test_offline.py
    "quality.index": Page(),
    "apiguide.index": Page(),
}
#: Stock routes of every model view, each checked by a test of this file.
STOCK = {"index_view": "lists", "details_view": "details", "edit_view": "details", "export": "exports",
         "ajax_lookup": "ajax", "create_view": "create", "void_view": "void", "api_file_view": "files",
         "action_view": "void", "ajax_update": "refused", "delete_view": "refused"}
#: Routes outside the matrix, and why.
EXEMPT = {
    "static": "the app's own static files (no record)",
    "admin.static": "Flask-Admin's static files (no record)",
    "auth.login": "signing in: tests/test_auth.py",
    "auth.logout": "signing out: tests/test_auth.py",
    "auth.change_password": "the user's own account: tests/test_auth.py",
    "pending.index": "files a user sent with a refused form, served to that user only: tests/test_drafts.py",
    "field_service_worker": "the offline page's service worker script (a static file, no record): tests/test_offline.py",
    "quality.merge_view": "the review of two archives to merge (?kept=&other=): roles and scope in "
                          "tests/test_data_quality.py",
    **dict.fromkeys([endpoint for _address, endpoint in data_endpoints()] + ["api.openapi_json"],
                    "the data interface: a token, never a session, opens it; every endpoint x token in "
                    "tests/test_api_matrix.py"),
    **{f"{kind}.{name}": "a user's own saved filters of a list (no record of a township): tests/test_numbers.py"
       for kind in ("archive", "childarchive", "elderlyarchive", "homelessarchive")
       for name in ("save_filter_view", "remove_filter_view")},
}
POST_ONLY = {"brief.draft_view", "brief.regenerate_view", "brief.issue_view", "yearsummary.draft_view",
             "yearsummary.regenerate_view", "yearsummary.issue_view", "archiveimport.confirm", "subsidy.import_view",
             "household.member_view", "household.leave_view", "field.sync"}
#: Pages that read a file of one import batch (made by an upload, not by the factory).
NOT_FROM_THE_FACTORY = {"archiveimport.download", "issuedreport.download_view"}


def _views_by_endpoint(world):
    return {v.endpoint: v for v in world["app"].extensions["admin"][0]._views}


def test_every_route_is_in_the_matrix(world):
    unchecked = []
    model_endpoints = {v.endpoint for v in world["views"]}
    for rule in world["app"].url_map.iter_rules():
        endpoint, _, name = rule.endpoint.rpartition(".")
        if rule.endpoint in PAGES or rule.endpoint in EXEMPT or endpoint in model_endpoints and name in STOCK:
            continue
        unchecked.append(f"{rule.rule} ({rule.endpoint})")
    assert not unchecked, f"新的页面需要加入 PAGES（或说明理由加入 EXEMPT）：{unchecked}"
    stale = [e for e in PAGES if e not in {r.endpoint for r in world["app"].url_map.iter_rules()}]
    assert not stale, stale


def _page_area(view, page):
    return page.area or view.area


def _permitted(role, view, page):
    area = _page_area(view, page)
    if area == "any":
        return True
    need = getattr(view, "action_needed", "view") if not isinstance(view, SecureModelView) else "view"
    return allowed(role, area, need) and allowed(role, area, page.action)


def _page_url(world, endpoint, page, township_name):
    view = _views_by_endpoint(world)[endpoint.rpartition(".")[0]]
    rule = next(r for r in world["app"].url_map.iter_rules() if r.endpoint == endpoint)
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", page.args.get(name, "x"))
    query = {k: v for k, v in page.args.items() if k not in rule.arguments}
    record = None
    if page.asks in ("record", "ids"):
        record = _record(world, view, township_name)
        query["id" if page.asks == "record" else "ids"] = str(record.pk)
    return path, query, record


def test_custom_pages_follow_the_permission_table_and_the_scope(world):
    """Each custom page as each role of each reach: refused where the table says so; a
    record page opens the user's own township's record and never another's; a page of
    several records or none shows no record of a township the user is not in."""
    from .helpers import response_text

    failures = []
    views = _views_by_endpoint(world)
    for endpoint, page in PAGES.items():
        if endpoint in POST_ONLY or endpoint in NOT_FROM_THE_FACTORY:
            continue
        view = views[endpoint.rpartition(".")[0]]
        model = getattr(view, "model", None)
        for (role, reach), client in world["clients"].items():
            for township_name in (OWN, FOREIGN) if page.asks != "plain" else (OWN,):
                path, query, record = _page_url(world, endpoint, page, township_name)
                response = client.get(path, query_string=query)
                text = response_text(response) if response.status_code == 200 else ""
                where = f"{endpoint} {role}/{reach} {township_name}"
                if not _permitted(role, view, page):
                    if response.status_code != 403:
                        failures.append(f"{where}: 应拒绝，得到 {response.status_code}")
                    continue
                hidden = reach == "scoped" and (scoped(model) if model is not None else not page.district_wide)
                if page.asks == "plain" or township_name == OWN or not hidden:
                    if response.status_code != 200:
                        failures.append(f"{where}: 得到 {response.status_code}")
                elif page.asks == "record":
                    if response.status_code != 404:
                        failures.append(f"{where}: 打开了其他街道的记录（{response.status_code}）")
                elif page.asks == "ids" and str(record.pk) in text:
                    failures.append(f"{where}: 列出了其他街道的记录")
                if reach == "scoped" and _foreign_scoped_records(text):
                    failures.append(f"{where}: 含其他街道的记录 {_foreign_scoped_records(text)}")
    assert not failures, "\n".join(failures)



FOREIGN_MARK = re.compile(MARKERS[FOREIGN] + r"[0-9]+([A-Za-z]*)")


def _foreign_scoped_records(text) -> set[str]:
    """The kinds of the other township's records a text names (each record's text carries
    its township's marker and its kind's name), leaving out district-wide kinds."""
    from mongoengine.base import _document_registry

    named = set(FOREIGN_MARK.findall(text))
    return {name or "?" for name in named if name not in _document_registry or scoped(_document_registry[name])}


@pytest.fixture(scope="module")
def files(world):
    """A picture on the own and the other township's record of every view that serves
    files, in each of its file fields: {(endpoint, township): [grid ids]}."""
    from models.files import store_upload
    from models.visits import add_photo

    from .helpers import png_bytes

    stored = {}
    with world["app"].app_context():
        for view in world["views"]:
            if not view.file_fields:
                continue
            done = {}
            for township_name in (OWN, FOREIGN):
                record = world["factory"].record(view.model, township_name)
                if record.pk in done:  # a district-wide kind's one record stands for both townships
                    stored[(view.endpoint, township_name)] = done[record.pk]
                    continue
                record.reload()
                for path in view.file_fields:
                    if path == "photos.file":
                        add_photo(record, png_bytes(noise_bytes=1), f"{township_name}.png", 10 ** 7)
                    elif "." not in path:
                        store_upload(record, path, png_bytes(noise_bytes=1), f"{township_name}.png", 10 ** 7)
                record.save(validate=False)
                ids = [p.file.grid_id for p in getattr(record, "photos", None) or []]
                ids += [p.thumbnail.grid_id for p in getattr(record, "photos", None) or []]
                ids += [getattr(record, path).grid_id for path in view.file_fields if "." not in path]
                stored[(view.endpoint, township_name)] = done[record.pk] = ids
    return stored


def test_files_are_served_for_own_records_only(world, files):
    """Every GridFS file (a photo, its thumbnail, a scan, a receipt, an attachment) is
    served to a role that may open the record, of the user's townships only."""
    failures = []
    for view, role, reach, client in _cases(world):
        if not view.file_fields:
            continue
        for township_name in (OWN, FOREIGN):
            for grid_id in files[(view.endpoint, township_name)]:
                response = client.get(f"{view.url}/api/file/", query_string={"id": str(grid_id)})
                if not allowed(role, view.area, "details"):
                    expected = 403
                elif township_name == FOREIGN and _hidden(view, reach):
                    expected = 404
                else:
                    expected = 200
                _check(failures, response.status_code == expected, view, role, reach,
                       f"文件 {township_name} 应为 {expected}，得到 {response.status_code}")
    assert not failures, "\n".join(failures)
    assert len(files) >= 2 * 10


def test_create_forms_open_where_the_table_allows(world):
    failures = []
    for view, role, reach, client in _cases(world):
        response = client.get(f"{view.url}/new/")
        expected = 200 if view.creatable and allowed(role, view.area, "view") and allowed(role, view.area, "create") \
            else 403
        _check(failures, response.status_code == expected, view, role, reach,
               f"新建 应为 {expected}，得到 {response.status_code}")
    assert not failures, "\n".join(failures)


def _token(client):
    from .conftest import CSRF_RE

    page = client.get("/account/password").get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


def test_void_and_restore_reach_own_records_only(world):
    """作废/恢复 (the void page and the list's actions) refuse a role without the right and
    find no record of another township; nothing of the other township changes."""
    failures = []
    for view, role, reach, client in _cases(world):
        if "voided" not in view.model._fields:
            continue
        foreign = _record(world, view, FOREIGN)
        for restore in ("", "1"):
            url = f"{view.url}/void/?ids={foreign.pk}&restore={restore}"
            shown = client.get(url)
            permitted = allowed(role, view.area, "view") and allowed(role, view.area, "void")
            if not permitted:
                _check(failures, shown.status_code == 403, view, role, reach, f"作废页应拒绝，得到 {shown.status_code}")
                continue
            if not _hidden(view, reach):
                continue  # the other township's record is the user's too: voiding it is allowed
            _check(failures, shown.status_code == 200 and MARKERS[FOREIGN] not in shown.get_data(as_text=True),
                   view, role, reach, f"作废页列出了其他街道的记录（{shown.status_code}）")
            with world["app"].app_context():
                before = view.model._get_collection().find_one({"_id": foreign.pk})
            posted = client.post(url, data={"csrf_token": _token(client), "reason": "矩阵测试"})
            action = client.post(f"{view.url}/action/", data={"csrf_token": _token(client), "action": "void",
                                                              "rowid": str(foreign.pk)}, follow_redirects=True)
            with world["app"].app_context():
                after = view.model._get_collection().find_one({"_id": foreign.pk})
            _check(failures, posted.status_code == 200 and "没有可处理的记录" in posted.get_data(as_text=True)
                   and action.status_code < 500 and before == after, view, role, reach,
                   f"作废了其他街道的记录（{posted.status_code}）")
    assert not failures, "\n".join(failures)


def test_stock_routes_the_app_does_not_offer_are_refused(world):
    """No record is deleted (only voided), and no list cell is edited in place."""
    failures = []
    for view, role, reach, client in _cases(world):
        record = _record(world, view, OWN)
        for url in (f"{view.url}/delete/", f"{view.url}/ajax/update/"):
            response = client.post(url, data={"csrf_token": _token(client), "id": str(record.pk),
                                              "list_form_pk": str(record.pk), "name": "甲"})
            _check(failures, response.status_code in (302, 400, 403, 404, 405), view, role, reach,
                   f"{url} 得到 {response.status_code}")
        with world["app"].app_context():
            _check(failures, view.model.objects(pk=record.pk).first() is not None, view, role, reach, "记录被删除")
    assert not failures, "\n".join(failures)


def _capability_scores():
    from models.rules import get_rules

    return {f"item_{item['code']}": "1" for dimension in get_rules("capability_standard")["dimensions"]
            for item in dimension["items"]}


def _first_risk_factor():
    from models.rules import get_rules

    return {"factors": get_rules("archive_rules")["risk"]["factors"][0]["code"]}


def _child_of(household):
    """A child's archive of the household's township (the factory's)."""
    return ChildArchive.objects(township=household.townships[0].pk).first()


def _a_member_of(household):
    """A current member of the household (the township's child, added here when it is not one)."""
    from models.households import add_member

    child = _child_of(household)
    if child.pk not in (household.member_ids or []):
        add_member(household, child, "child", None)
    return {"person": str(child.pk), "reason": "矩阵测试"}


#: Custom pages that write (POST) to the record they are asked for: what they are sent
#: (given the record; read in the app's context).
RECORD_POSTS = {
    "household.member_view": lambda r: {"person": _child_of(r).id_number, "relation": "child"},
    "household.leave_view": _a_member_of,
    "archive.bulk_view": lambda r: {"status": "closed", "status_date": "2026-03-05", "reason": "矩阵测试"},
    "childarchive.risk_view": lambda r: {**_first_risk_factor(), "assessed_on": "2026-03-05", "assessor": "矩阵测试"},
    "elderlyarchive.capability_view": lambda r: {**_capability_scores(), "assessed_on": "2026-03-05",
                                                 "assessor_one": "矩阵测试", "assessor_two": "矩阵复核", "reason": "first",
                                                 "diagnosis": "none"},
    "groupseries.session_view": lambda r: {"session_date": f"{r.started_on:%Y-%m-%d}", "hours": "1", "topic": "矩阵测试",
                                           "attendance": (r.members or ["甲"])[0], "record_version": str(r.version)},
}


def test_custom_writes_reach_own_records_only(world):
    """A write page (分派社工/状态变更, risk and capability assessments, a group session)
    posted for another township's record changes nothing there; posted for the user's
    own record it writes (so the refusal is the scope's, not a bad post's)."""
    failures = []
    views = _views_by_endpoint(world)
    assert set(RECORD_POSTS) == {e for e, p in PAGES.items() if p.asks != "plain" and p.action == "edit"}
    for endpoint, values in RECORD_POSTS.items():
        page = PAGES[endpoint]
        view = views[endpoint.rpartition(".")[0]]
        attempts = [(role, reach, FOREIGN) for role, reach in world["clients"]
                    if _permitted(role, view, page) and _hidden(view, reach)]
        for role, reach, township_name in [*attempts, ("coordinator", "scoped", OWN)]:
            client = world["clients"][(role, reach)]
            path, query, record = _page_url(world, endpoint, page, township_name)
            if page.asks == "ids":
                query["op"] = "status"
            with world["app"].app_context():
                record.reload()
                data = values(record)
                before = counts(), view.model._get_collection().find_one({"_id": record.pk})
            response = client.post(path, query_string=query, data={"csrf_token": _token(client), **data})
            with world["app"].app_context():
                after = counts(), view.model._get_collection().find_one({"_id": record.pk})
            changed = before[1] != after[1]
            if response.status_code >= 500 or changed != (township_name == OWN):
                failures.append(f"{endpoint} {role}/{reach} {township_name}: {response.status_code}，"
                                f"记录{'已' if changed else '未'}改变 {response.get_data(as_text=True)[-300:]}")
    assert not failures, "\n".join(failures)


def test_an_import_batch_is_opened_by_its_uploader_or_a_district_user_only(world):
    """The uploaded file of an Excel import (archiveimport.download) and its confirmation
    (archiveimport.confirm): a township-limited user reaches only the batches they uploaded."""
    from models.archive_import import ImportBatch, build_template, start_batch

    uploader = world["users"][("staff", "scoped")]
    with world["app"].app_context():
        batch = start_batch(build_template("child"), "矩阵.xlsx", "child", 0, uploader)
    failures = []
    for (role, reach), client in world["clients"].items():
        user = world["users"][(role, reach)]
        if not allowed(role, "archives", "create"):
            expected = 403
        elif reach == "scoped" and user.pk != uploader.pk:
            expected = 404
        else:
            expected = 200
        response = client.get(f"/archive-import/file/{batch.pk}")
        if response.status_code != expected:
            failures.append(f"download {role}/{reach}: 应为 {expected}，得到 {response.status_code}")
        if expected != 200:
            posted = client.post(f"/archive-import/confirm/{batch.pk}", data={"csrf_token": _token(client)})
            with world["app"].app_context():
                status = ImportBatch.objects.get(pk=batch.pk).status
            if posted.status_code != expected or status != "previewed":
                failures.append(f"confirm {role}/{reach}: 应为 {expected}，得到 {posted.status_code}（{status}）")
    assert not failures, "\n".join(failures)
