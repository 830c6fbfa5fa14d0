"""Lists issue the same number of database commands whatever the page size
and however many records there are (no query per row)."""

import datetime as dt

from models.attachments import Attachment
from models.services import create_record

from .conftest import on_ferretdb
from .dbcount import count_commands
from .helpers import make_attachment


def _commands(client, url):
    client.get(url)  # warm up: index creation, reference caches
    with count_commands() as count:
        response = client.get(url)
    assert response.status_code == 200
    return count.value


def _bulk_attachments(townships, n):
    first = make_attachment(townships["东江街道"], title="样本")
    for i in range(n):
        doc = Attachment(title=f"签到表{i}", kind="scan",
                         township=townships["东江街道" if i % 2 else "穿山街道"])
        doc.file = first.file
        doc.filename, doc.content_type, doc.size = first.filename, first.content_type, first.size
        create_record(doc, None)


def test_attachment_list_cost_does_not_grow(app, login_as, townships):
    _bulk_attachments(townships, 30)
    client = login_as("coordinator")
    small = _commands(client, "/attachment/?page_size=20")
    _bulk_attachments(townships, 90)
    large = _commands(client, "/attachment/?page_size=100")
    assert small == large
    assert small <= 8


def test_audit_list_cost_does_not_grow(app, login_as, townships):
    _bulk_attachments(townships, 30)  # both pages then show entries that reference a township
    client = login_as("admin")
    small = _commands(client, "/audit/?page_size=20")
    _bulk_attachments(townships, 60)
    large = _commands(client, "/audit/?page_size=100")
    assert small == large


def test_user_list_dereferences_townships_in_one_query(app, login_as, accounts):
    client = login_as("admin")
    assert _commands(client, "/user/") <= 8


def test_archive_list_cost_is_constant_in_page_size_and_collection_size(app, login_as, accounts):
    from seeds.demo import generate_archives

    generate_archives(1000, seed=1)
    client = login_as("coordinator")
    url = "/archive/?flt0_township_equals={}&flt1_status_equals=active&flt2_complete_equals=0&page_size={}"
    township = str(Attachment._fields["township"].document_type.objects(code="450305002").first().pk)
    small_page = _commands(client, url.format(township, 20))
    large_page = _commands(client, url.format(township, 100))
    # 10,000 on the real-server lane; mongomock checks unique indexes by scanning
    # (quadratic inserts), so its lane grows the collection to 3,000 only.
    generate_archives(9000 if on_ferretdb() else 2000, seed=2)
    large_collection = _commands(client, url.format(township, 100))
    search = _commands(client, "/archive/?search=zs&page_size=100")
    assert small_page == large_page == large_collection
    assert large_collection <= 14 and search <= 14


def test_bulk_page_cost_does_not_grow_with_the_selection(app, login_as, townships):
    from .archive_helpers import make_child

    children = [make_child(townships["东江街道" if i % 2 else "穿山街道"], name=f"批量{i}", sequence=101 + 2 * i)
                for i in range(24)]
    client = login_as("staff")  # 东江街道 only: the others of the selection are left out
    cost = {n: _commands(client, f"/archive/bulk/?op=assign&ids={','.join(str(c.pk) for c in children[:n])}")
            for n in (4, 24)}
    assert cost[4] == cost[24]
    page = client.get(f"/archive/bulk/?op=assign&ids={','.join(str(c.pk) for c in children)}").get_data(as_text=True)
    assert "共 12 份档案" in page and "批量1、" in page and "批量0" not in page


def test_archive_detail_cost_is_bounded(app, login_as, townships, accounts):
    from models.casework import Case
    from models.visits import Visit

    from .archive_helpers import make_child

    child = make_child(townships["东江街道"], sequence=9)
    client = login_as("staff")

    def case(i, worker):  # a case names its worker: loaded with the others, not one query per case
        return {"case_type": "consultation", "client": child.pk, "township": child.township.pk, "title": f"个案{i}",
                "opened_on": dt.datetime(2026, 3, i), "sessions": [], "version": 1, "voided": False,
                "worker": worker.pk}

    def event(i):
        return {"title": f"活动{i}", "event_date": dt.datetime(2026, 4, i), "participants": [child.pk],
                "township": child.township.pk, "people_served": 12, "hours": 2, "version": 1, "voided": False}

    from models.activities import CommunityEvent

    Case._get_collection().insert_one(case(1, accounts["staff"]))
    CommunityEvent._get_collection().insert_one(event(1))
    few = _commands(client, f"/childarchive/details/?id={child.pk}")
    Visit._get_collection().insert_many([
        {"people": [child.pk], "township": child.township.pk, "visited_at": dt.datetime(2026, 3, i),
         "mode": "home", "contact": "made", "counts_as_home_visit": "yes", "version": 1, "voided": False} for i in range(1, 21)])
    from models.timeline import SOURCES

    Case._get_collection().insert_many([case(i, accounts["staff" if i % 2 else "coordinator"]) for i in range(2, 8)])
    CommunityEvent._get_collection().insert_many([event(i) for i in range(2, 7)])
    many = _commands(client, f"/childarchive/details/?id={child.pk}")
    # one query per kind of record that can name a person, whatever the number of records; the
    # visits and the archive's own history cost one read of its summary by _id
    kept = sum(1 for source in SOURCES if source.kept_in_summary)
    assert kept == 1
    # (+ one per kind of record they refer to: the cases' workers and townships, the events' townships)
    assert few == many <= 10 + len(SOURCES) - kept
    page = client.get(f"/childarchive/details/?id={child.pk}").get_data(as_text=True)
    assert str(accounts["coordinator"]) in page  # the case's worker is named on the timeline


def test_schedule_page_cost_does_not_grow_with_people(app, login_as, accounts):
    from seeds.demo import generate_archives, generate_visits_and_patrols

    generate_archives(1000, seed=3)
    generate_visits_and_patrols(seed=3, weeks=2)
    client = login_as("coordinator")
    small = {code: _commands(client, f"/schedule/?policy={code}") for code in ("child_risk_1", "elderly_monthly")}
    generate_archives(9000 if on_ferretdb() else 2000, seed=4)
    generate_visits_and_patrols(seed=4, weeks=2)
    large = {code: _commands(client, f"/schedule/?policy={code}") for code in ("child_risk_1", "elderly_monthly")}
    assert small == large
    assert max(large.values()) <= 30
    assert _commands(client, "/patrol/weeks/") <= 6
    assert _commands(client, "/schedule/compliance?policy=child_risk_2") <= 10


def test_money_and_reception_pages_cost_does_not_grow(app, login_as, townships, accounts):
    import datetime as dt

    from models.budget import BudgetLine, Expense
    from models.reception import ReceptionContact

    line = BudgetLine.objects(name="活动经费").get()

    def add(n, start):
        expenses, contacts = [], []
        for i in range(start, start + n):
            expense = Expense(line=line, spent_on=dt.datetime(2026, 1 + i % 12, 1), amount_fen=100 + i, payee="店",
                              purpose="物资", over_budget_reason="测试", version=1)
            expense.prepare()
            expenses.append(expense.to_mongo().to_dict())
            contact = ReceptionContact(received_at=dt.datetime(2026, 2, 1, 9), caller_name=f"来电{i}", category="policy",
                                       matter="咨询", township=townships["东江街道"], person=None,
                                       handled_by=accounts["staff"], version=1)
            contact.prepare()
            contacts.append(contact.to_mongo().to_dict())
        Expense._get_collection().insert_many(expenses)
        ReceptionContact._get_collection().insert_many(contacts)

    add(30, 0)
    client = login_as("coordinator")
    small = [_commands(client, url) for url in ("/expense/?page_size=20", "/reception/?page_size=20", "/budget/")]
    add(300, 30)
    large = [_commands(client, url) for url in ("/expense/?page_size=100", "/reception/?page_size=100", "/budget/")]
    assert small == large
    assert max(large) <= 12


def test_service_record_lists_cost_does_not_grow(app, login_as, accounts):
    from seeds.demo import generate_archives, generate_services

    generate_archives(200, seed=5)
    generate_services(100, seed=5)
    client = login_as("coordinator")
    urls = ("/case/?page_size={}", "/groupseries/?page_size={}", "/event/?page_size={}", "/training/?page_size={}",
            "/publicity/?page_size={}", "/volunteer/?page_size={}")
    small = [_commands(client, url.format(20)) for url in urls]
    generate_services(600, seed=6)
    large = [_commands(client, url.format(100)) for url in urls]
    assert small == large
    assert max(large) <= 12


def test_indicator_overview_cost_does_not_grow_with_records(app, login_as, accounts):
    from seeds.demo import generate_archives, generate_services, generate_visits_and_patrols

    generate_archives(300, seed=7)
    generate_visits_and_patrols(seed=7, weeks=4)
    generate_services(100, seed=7)
    client = login_as("coordinator")
    small = _commands(client, "/indicators/")
    detail_small = _commands(client, "/indicators/show/cases.consultation/")
    # a year of data on the real-server lane; mongomock scans unique indexes, so its lane stays smaller
    generate_archives(4700 if on_ferretdb() else 1700, seed=8)
    generate_visits_and_patrols(seed=8, weeks=52)
    generate_services(2000 if on_ferretdb() else 600, seed=8)
    large = _commands(client, "/indicators/")
    detail_large = _commands(client, "/indicators/show/cases.consultation/")
    assert small == large
    assert detail_small == detail_large
    assert large <= 120


def test_excel_import_cost_does_not_grow_with_rows(app, login_as, accounts):
    import datetime as dt

    from models import idnumber
    from models.archive_import import ImportBatch, apply_import, preview_import, start_batch

    from .test_import import workbook_bytes

    def elderly_file(count, area):
        rows = [[f"老人{i}", idnumber.make(area, dt.date(1935, 1, 1) + dt.timedelta(days=i), 7), None, None, "东江街道",
                 None, "高龄老人", "独居"] for i in range(count)]
        return workbook_bytes(rows, headers=["姓名", "身份证号", "性别", "出生日期", "街道/乡镇", "社区/村委", "对象类别",
                                             "居住情况"], title="老年人档案")

    def cost(data):
        with count_commands() as count:
            preview = preview_import(data, "elderly", None)
            assert preview.ok
            batch = start_batch(data, "x.xlsx", "elderly", len(preview.rows), accounts["coordinator"])
            apply_import(batch, None, accounts["coordinator"])
        return count.value

    cost(elderly_file(5, "450301"))  # warm-up: indexes, reference caches
    small = cost(elderly_file(20, "450302"))
    large = cost(elderly_file(300, "450303"))
    assert ImportBatch.objects(status="imported").count() == 3
    assert small == large


def test_sample_draw_cost_does_not_grow_with_the_sample_and_audits_each_check(app, accounts):
    import datetime as dt

    from models.audit import AuditEntry
    from models.subsidy import draw_sample, import_subsidy_file

    from .test_subsidy import services, workbook

    import_subsidy_file("service", workbook("service", services(200)), "s.xlsx", accounts["coordinator"])
    assert AuditEntry.objects(collection="subsidy_items", action="create").count() == 200

    def cost(share):
        with count_commands() as count:
            draw_sample("service", dt.date(2026, 3, 1), dt.date(2026, 3, 31), share, 1, [accounts["staff"]],
                        accounts["coordinator"])
        return count.value

    cost(0.2)  # warm-up
    assert cost(0.2) == cost(0.6)
    assert AuditEntry.objects(collection="spot_checks", action="create").count() == 40 + 40 + 120


def test_archive_list_on_a_server_with_indexes_counts_and_reads_one_page(app, login_as, townships, monkeypatch):
    """On MongoDB the list asks a count and one page; where every query scans (the local
    database), it reads the matching rows once. Both give the same page and total."""
    from seeds.demo import generate_archives
    from views.base import admin_fixes

    generate_archives(60, seed=3)
    client = login_as("coordinator")
    url = "/archive/?page_size=20&page=1&sort=0"
    scanning = client.get(url).get_data(as_text=True)
    monkeypatch.setattr(admin_fixes, "server_scans_collections", lambda: False)
    indexed = client.get(url).get_data(as_text=True)

    def rows(page):
        import re

        return re.findall(r'/archive/details/\?id=([0-9a-f]{24})', page)

    assert len(set(rows(scanning))) == 20
    assert rows(scanning) == rows(indexed)
    for page in (scanning, indexed):  # 60 archives in pages of 20: the pager ends at the third page
        assert "page=2" in page and "page=3" not in page


def test_not_visited_archive_list_and_township_schedule_cost_does_not_grow(app, login_as, accounts):
    from models.reference import Township
    from seeds.demo import generate_archives, generate_visits_and_patrols

    generate_archives(1000, seed=5)
    generate_visits_and_patrols(seed=5, weeks=2)
    township = str(Township.objects(code="450305002").first().pk)
    urls = [f"/childarchive/?flt0_township_equals={township}&flt1_risk_level_equals=1&flt2_not_visited=month"
            "&page_size=100", "/archive/?flt0_not_visited=week&page_size=100",
            f"/schedule/?policy=child_risk_2&township={township}"]
    client = login_as("coordinator")
    small = [_commands(client, url) for url in urls]
    generate_archives(9000 if on_ferretdb() else 2000, seed=6)
    generate_visits_and_patrols(seed=6, weeks=2)
    large = [_commands(client, url) for url in urls]
    assert small == large
    assert max(large[:2]) <= 14 and large[2] <= 30
