"""Every field declared as holding an ID number or sensitive content
(models.sensitivity) is masked for every role that may not see it, in every output:
lists, record pages, the print page, the timeline, the audit trail's list, page and
export, CSV and Excel exports, the indicator workbook and the year-end Word summary.
The fields and the roles come from the declarations, not from a list in this test."""

import csv
import datetime as dt
import io

import mongoengine
import pytest
from mongoengine.base import _document_registry

from admin_app.accounts import create_user
from models import idnumber
from models.archives import ParentInfo
from models.casework import Case, CaseSession, StageDocument
from models.clock import local_now
from models.concerns import Concern
from models.households import Household
from models.sensitivity import (
    CONTENT,
    FULL_VIEW_ROLES,
    HIDDEN,
    HOLDS_ID_NUMBER,
    may_see,
    sensitive_fields,
    visible_value,
)
from models.services import create_record, snapshot, update_record
from models.subsidy import SubsidyItem
from models.users import ROLES, User

from .archive_helpers import make_child

CHILD_ID = idnumber.make("450305", dt.date(2016, 5, 1), 11)
CARER_ID = idnumber.make("450305", dt.date(1980, 2, 3), 31)
NEW_CARER_ID = idnumber.make("450305", dt.date(1981, 4, 5), 33)
FATHER_ID = idnumber.make("450305", dt.date(1979, 6, 7), 35)
ELDER_ID = idnumber.make("450305", dt.date(1940, 1, 1), 22)
HEAD_ID = idnumber.make("450305", dt.date(1975, 8, 9), 37)
HARM = "曾遭继父殴打留下烫伤"
NEW_HARM = "二次核实：继父殴打并威胁"
FOUND = "手臂多处淤青，疑似家暴"
FAMILY = "父亲酗酒，常打骂孩子"
CASE_PROBLEM = "长期遭受校园欺凌，有自伤念头"
CASE_NOTE = "面谈中透露继母限制进食"
CASE_STAGE = "预估：存在被忽视风险，需转介心理支持"
CONCERN_OUTCOME = "经公安调查，继父被警告并责令改正"

ROLES_MASKED = [role for role, _ in ROLES if not may_see(role)]
ROLES_FULL = [role for role, _ in ROLES if may_see(role)]


def _declared() -> dict[type, dict[str, str]]:
    import views.registry  # noqa: F401  (every model the app registers)

    def concrete(cls):
        return isinstance(cls, type) and issubclass(cls, mongoengine.Document) and not cls._meta.get("abstract")

    found: dict = {}
    for cls in filter(concrete, list(_document_registry.values())):
        for name, kind in sensitive_fields(cls).items():
            owner = next(c for c in reversed(cls.__mro__) if concrete(c) and name in c._fields)
            found.setdefault(owner, {})[name] = kind
    return found


#: The value written for each declared field (its full, unmasked form), by class and field.
SAMPLES = {
    ("Archive", "id_number"): CHILD_ID,
    ("ChildArchive", "carer_id_number"): NEW_CARER_ID,
    ("ChildArchive", "harm_details"): NEW_HARM,
    ("ChildArchive", "father"): FATHER_ID,
    ("ChildArchive", "mother"): None,  # left blank: the father stands for both parents
    ("SubsidyItem", "id_number"): ELDER_ID,
    ("ChildArchive", "problems"): FAMILY,
    ("Concern", "description"): FOUND,
    ("Concern", "outcome"): CONCERN_OUTCOME,
    ("Case", "problem"): CASE_PROBLEM,
    ("Case", "sessions"): CASE_NOTE,
    ("Case", "stage_documents"): CASE_STAGE,
    ("Household", "head_id_number"): HEAD_ID,
}
#: Values the records held before their update (still in the audit trail).
EARLIER = [CARER_ID, HARM]


def test_the_known_sensitive_fields_are_declared():
    declared = {(cls.__name__, name) for cls, names in _declared().items() for name in names}
    assert {("Archive", "id_number"), ("ChildArchive", "carer_id_number"), ("ChildArchive", "harm_details"),
            ("SubsidyItem", "id_number"), ("ChildArchive", "problems"), ("Concern", "description"),
            ("Concern", "outcome"), ("Case", "problem"), ("Case", "sessions"), ("Case", "stage_documents")} <= declared


def test_every_declared_field_has_a_sample_here():
    missing = [(cls.__name__, name) for cls, names in _declared().items() for name in names
               if (cls.__name__, name) not in SAMPLES]
    assert not missing, f"新声明的敏感字段需要在 SAMPLES 中给出示例值：{missing}"


@pytest.mark.parametrize("role", [role for role, _ in ROLES])
def test_visible_value_follows_the_declaration_for_every_role(role):
    for cls, names in _declared().items():
        for name, kind in names.items():
            field = cls._fields[name]
            full = SAMPLES[(cls.__name__, name)] or ""
            value = {HOLDS_ID_NUMBER: f"｛name=张大，id_number={full}｝"}.get(kind, full)
            shown = visible_value(field, value, role)
            if role in FULL_VIEW_ROLES or not full:
                assert shown == value
            elif kind == CONTENT:
                assert shown == HIDDEN
            else:
                assert full not in shown and idnumber.mask(full) in shown, (cls.__name__, name, role, shown)


@pytest.fixture
def records(app, townships):
    """One record of every kind with declared fields, in 东江街道, with the sample
    values; the child's guardian and harm history changed once (the audit trail holds
    the earlier and the later values)."""
    home = townships["东江街道"]
    with app.app_context():
        child = make_child(home, name="敏感测试儿童", carer_name="张监护", carer_id_number=CARER_ID,
                           harm_details=HARM, father=ParentInfo(name="张大", id_number=FATHER_ID), problems=FAMILY)
        before = snapshot(child)
        child.carer_id_number, child.harm_details = NEW_CARER_ID, NEW_HARM
        update_record(child, before, child.version, None)
        concern = create_record(Concern(child=child, township=home, source="visit", discovered_by="张社工",
                                        discovered_at=local_now() - dt.timedelta(hours=1),
                                        description=FOUND, outcome=CONCERN_OUTCOME), None)
        worker = User.objects(role="staff").first() or create_user("shegong9", "staff", "张社工", "test1234",
                                                                    townships=[home])[0]
        day = local_now().replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
        case = create_record(Case(case_type="professional", client=child, township=home, worker=worker,
                                  title="个案一", problem=CASE_PROBLEM, opened_on=day,
                                  sessions=[CaseSession(session_date=day, hours=1, content=CASE_NOTE)],
                                  stage_documents=[StageDocument(stage="intake", written_on=day,
                                                                 content=CASE_STAGE)]), None)
        item = create_record(SubsidyItem(kind="assessment", external_no="PG-001", elder_name="李奶奶",
                                         id_number=ELDER_ID, township=home, occurred_on=dt.datetime(2026, 3, 1)),
                             None)
        household = create_record(Household(head_name="张大", head_id_number=HEAD_ID, township=home,
                                             members=[{"person": child.pk, "relation": "child"}]), None)
        made = (child, concern, item, case, household)
        missing = [cls.__name__ for cls in _declared() if not any(isinstance(r, cls) for r in made)]
        assert not missing, f"新声明敏感字段的记录类型需要在此建一条记录：{missing}"
        return {"child": child, "concern": concern, "item": item, "case": case, "household": household}


def _full_values() -> list[str]:
    return [v for v in SAMPLES.values() if v] + EARLIER


def _text(response) -> str:
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


def _outputs(app, records) -> list[str]:
    """Every URL that shows one of the records' values: each registered view over a
    kind with declared fields (list, details, exports), the archive's print page,
    the audit trail, and the reports."""
    urls = []
    declared = tuple(_declared())
    by_model = {type(r): r for r in records.values()}
    for view in app.extensions["admin"][0]._views:
        model = getattr(view, "model", None)
        if model is None or not issubclass(model, declared):
            continue
        record = next((r for cls, r in by_model.items() if issubclass(cls, model)), None)
        base = view.url
        urls += [f"{base}/", *(f"{base}/export/{kind}/" for kind in view.export_types)]
        if record is not None:
            urls.append(f"{base}/details/?id={record.pk}")
            if hasattr(view, "print_view"):
                urls.append(f"{base}/print/?id={record.pk}")
    child = records["child"].pk
    urls += ["/audit/", f"/audit/?flt0_record_id_equals={child}", "/audit/export/csv/",
             "/indicators/report/", "/indicators/summary/"]
    from models.audit import AuditEntry

    urls += [f"/audit/details/?id={e.pk}" for e in AuditEntry.objects(record_id=str(child))]
    return urls


@pytest.mark.parametrize("role", ROLES_MASKED)
def test_roles_that_may_not_see_get_every_declared_field_masked_everywhere(app, login_as, records, role):
    client = login_as(role)
    opened = 0
    for url in _outputs(app, records):
        response = client.get(url)
        if response.status_code in (302, 403):
            continue  # not this role's page (the permission table)
        assert response.status_code == 200, (url, response.status_code)
        opened += 1
        text = _text(response)
        for value in _full_values():
            assert value not in text, f"{role} 在 {url} 看到了完整的 {value}"
        if url.startswith("/childarchive/details/"):
            assert idnumber.mask(CHILD_ID) in text and HIDDEN in text
    assert opened >= 8, opened


def test_the_audit_trail_masks_the_stored_values_for_the_admin(app, login_as, records):
    page = login_as("admin").get(f"/audit/?flt0_record_id_equals={records['child'].pk}").get_data(as_text=True)
    assert idnumber.mask(CARER_ID) in page and idnumber.mask(NEW_CARER_ID) in page
    assert "监护人身份证号" in page and "侵害情况" in page  # which fields changed stays visible
    assert HARM not in page and NEW_HARM not in page and HIDDEN in page


@pytest.mark.parametrize("role", ROLES_FULL)
def test_roles_that_may_see_get_the_full_values(app, login_as, records, role):
    client = login_as(role)
    details = client.get(f"/childarchive/details/?id={records['child'].pk}").get_data(as_text=True)
    for value in (CHILD_ID, NEW_CARER_ID, NEW_HARM):
        assert value in details, (role, value)
    assert FOUND in details  # the timeline's child-protection entry
    rows = list(csv.reader(io.StringIO(client.get("/childarchive/export/csv/").get_data(as_text=True))))
    assert any(CHILD_ID in row for row in rows)
    if role == "coordinator":
        trail = client.get(f"/audit/?flt0_record_id_equals={records['child'].pk}").get_data(as_text=True)
        assert CARER_ID in trail and NEW_HARM in trail


def test_the_manager_timeline_hides_the_child_protection_finding(app, login_as, records):
    page = login_as("manager").get(f"/childarchive/details/?id={records['child'].pk}").get_data(as_text=True)
    assert "儿童保护处置" in page and FOUND not in page
