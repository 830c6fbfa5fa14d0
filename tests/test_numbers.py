"""Every number opens exactly its records: each home-page card of every role, on
demo data mixed so that the cards' conditions matter (closed archives, archives
of other workers and townships, closed cases, done tasks), shows the number of
rows the list it links reports."""

import datetime as dt
import re

import pytest

from models.archives import Archive
from models.casework import Case
from models.named_lists import HOME_CARDS, NAMED_LISTS
from models.other_work import BureauTask
from models.services import create_record
from models.subsidy import SpotCheck
from seeds.loader import read_seed

from .conftest import demo_data
from .helpers import make_attachment

CARD_RE = re.compile(r'href="([^"]+)">\s*<div class="card-body">\s*<div class="figure-value">(\d+)</div>\s*'
                     r'<div class="figure-label">([^<]+)</div>')
LIST_COUNT_RE = re.compile(r'class="nav-link active">列表(?: \((\d+)\))?</a>')
ROLES = ("admin", "coordinator", "manager", "staff", "staff2")


@pytest.fixture
def mixed(app, accounts, townships):
    """Demo data, then some archives closed, given to the test's workers, cases closed, tasks done."""
    with app.app_context():
        demo_data(accounts, 60, seed=15)
        archives = Archive._get_collection()
        ids = [row["_id"] for row in archives.find({}, {"_id": 1}).sort("_id", 1)]
        archives.update_many({"_id": {"$in": ids[:8]}}, {"$set": {"status": "closed"}})
        for index, pk in enumerate(ids[8:40]):
            worker = accounts["staff"] if index % 3 else accounts["staff2"]
            archives.update_one({"_id": pk}, {"$set": {"worker": worker.pk}})
        home = townships["东江街道"].pk
        for document in (Case, SpotCheck):  # some in the worker's township, some outside it
            collection = document._get_collection()
            field = "worker" if document is Case else "assigned_to"
            outside = [row["_id"] for row in collection.find({"township": {"$ne": home}}, {"_id": 1}).sort("_id", 1)]
            inside, outside = outside[:6], outside[6:9]
            assert len(outside) == 3
            collection.update_many({"_id": {"$in": inside}}, {"$set": {"township": home}})
            collection.update_many({"_id": {"$in": inside + outside}}, {"$set": {field: accounts["staff"].pk}})
            if document is Case:  # two of them closed, the others open
                collection.update_many({"_id": {"$in": inside[2:] + outside}}, {"$set": {"closed_on": None}})
                collection.update_many({"_id": {"$in": inside[:2]}}, {"$set": {"closed_on": dt.datetime(2026, 5, 1)}})
            else:  # waiting for their check
                collection.update_many({"_id": {"$in": inside + outside}}, {"$set": {"status": "assigned"}})
        for title, status in (("报送材料", "pending"), ("统计报表", "done")):
            create_record(BureauTask(title=title, assigned_by="区民政局", assigned_on=dt.datetime(2026, 3, 1),
                                     status=status), accounts["coordinator"])
        make_attachment(townships["东江街道"], actor=accounts["staff"])
        make_attachment(townships["东江街道"], actor=accounts["coordinator"])
    return accounts


def _cards(page: str) -> list[tuple[str, int, str]]:
    return [(href.replace("&amp;", "&"), int(value), label) for href, value, label in CARD_RE.findall(page)]


def _listed(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    text = page.get_data(as_text=True)
    if url.startswith("/indicators/"):
        return len(re.findall(r'<tr id="indicator-', text))
    match = LIST_COUNT_RE.search(text)
    assert match, f"{url} reports no row count"
    return int(match.group(1) or 0)


@pytest.mark.parametrize("role", ROLES)
def test_every_home_card_opens_a_list_of_exactly_its_records(mixed, login_as, role):
    client = login_as(role)
    cards = _cards(client.get("/").get_data(as_text=True))
    wanted = HOME_CARDS[mixed[role].role]
    assert len(cards) == len(wanted)
    for (url, figure, label), code in zip(cards, wanted, strict=True):
        assert code == "indicators" or f"only={code}" in url, (label, url)
        assert _listed(client, url) == figure, f"{label}：首页 {figure}，列表 {_listed(client, url)}（{url}）"


def test_the_cards_conditions_matter_on_this_data(mixed, login_as):
    """Each card the issue names counts fewer records than its whole list (the test can fail)."""
    checks = {"coordinator": ["archives.active", "archives.incomplete", "children.high_risk"],
              "staff": ["archives.mine", "cases.mine_open", "spotchecks.mine"]}
    for role, codes in checks.items():
        client = login_as(role)
        cards = {url.split("only=")[-1]: (url, figure) for url, figure, _ in _cards(client.get("/").get_data(as_text=True))}
        for code in codes:
            url, figure = cards[code]
            assert figure > 0, code
            assert _listed(client, url.split("?")[0]) > figure, code


def test_a_named_list_shows_what_narrows_it_and_a_way_back(mixed, login_as):
    page = login_as("coordinator").get("/archive/?only=archives.incomplete").get_data(as_text=True)
    assert "只显示：档案不完整。" in page and 'href="/archive/">显示全部' in page


@pytest.mark.parametrize("code", sorted(NAMED_LISTS))
def test_every_named_list_has_a_list_page(app, code):
    from views.home import list_endpoint

    with app.test_request_context():
        assert list_endpoint(NAMED_LISTS[code].document())


def test_a_named_list_of_other_records_is_ignored(mixed, login_as):
    client = login_as("coordinator")
    assert _listed(client, "/visit/?only=archives.incomplete") == _listed(client, "/visit/")


# ---------------------------------------------------------------- indicators: the figure, each cell, the evidence

EVIDENCE_RE = re.compile(r"计入的记录（(\d+) 条")
COUNTED_RE = re.compile(r'<span id="counted">(\d+)</span>')
CELL_RE = re.compile(r'<a class="week-cell item-cell [^"]*" data-part="([^"]*)" href="([^"]+)"[^>]*>\s*'
                     r'<div class="small">[^<]*</div><div><b class="item-count">(\d+)</b>')


def _measurements():
    from models.clock import local_today
    from models.contracts import current_contract
    from models.indicators import Scope, indicators_for, measure

    contract = current_contract()
    scope = Scope(contract, local_today())
    return [measure(indicator, scope) for indicator in indicators_for(contract)]


def test_every_indicator_counts_exactly_its_evidence_and_each_cell_its_part(mixed):
    measurements = _measurements()
    assert len(measurements) == len(read_seed("indicators.json")["indicators"])
    counted_something = 0
    for m in measurements:
        code = m.indicator.code
        assert m.evidence is not None and m.counted is not None, code
        assert m.evidence.count() == m.counted, code
        assert len(m.evidence.page(0, 10 ** 6)) == m.counted, code
        if m.indicator.kind == "count":
            assert m.counted == m.achieved, code
        for item in m.items:
            if item.get("part"):
                figure = item["count"] if "count" in item else item["visited"]
                assert m.evidence.part(item["part"]).count() == figure, (code, item)
        for key, value in m.series:
            if m.indicator.kind == "count" and value:
                assert m.evidence.part(key).count() == value, (code, key)
        counted_something += m.counted > 0
    assert counted_something >= 15  # the demo data reaches most indicators: the checks above compare real numbers


def test_each_indicator_page_links_its_figure_and_cells_to_as_many_records(mixed, login_as):
    client = login_as("coordinator")
    overview = client.get("/indicators/").get_data(as_text=True)
    codes = re.findall(r'<tr id="indicator-([a-z_-]+)">', overview)
    assert len(codes) == len(read_seed("indicators.json")["indicators"])
    for m in _measurements():
        url = f"/indicators/show/{m.indicator.code}/"
        assert f'href="{url}?contract=' in overview
        page = client.get(url).get_data(as_text=True)
        assert int(COUNTED_RE.search(page).group(1)) == int(EVIDENCE_RE.search(page).group(1)) == m.counted, url
        cells = [(part, link.replace("&amp;", "&"), int(n)) for part, link, n in CELL_RE.findall(page)]
        assert len(cells) == sum(1 for item in m.items if item.get("part")), url
        nonzero = [cell for cell in cells if cell[2]]
        for _part, link, figure in (nonzero[:1] + nonzero[-1:]) or cells[:1]:
            assert int(EVIDENCE_RE.search(client.get(link).get_data(as_text=True)).group(1)) == figure, link


EVIDENCE_ITEM_RE = re.compile(r'<li class="list-group-item py-1">(?:<small[^>]*>[^<]*</small> )?(<a href="([^"]+)">)?')


def test_every_record_an_indicator_page_lists_links_to_a_page_that_shows_it(mixed, login_as):
    """The measures name the document of each record they list, never a view: every record
    counted links to the details page of the view of its document, and a near miss that is a
    record (or an archive read as a row) does too; one link of each list opens its record."""
    client = login_as("coordinator")
    linked = set()
    for m in _measurements():
        page = client.get(f"/indicators/show/{m.indicator.code}/").get_data(as_text=True)
        listed = page.split('id="evidence"')[1].split("</ul>")[0]
        items = EVIDENCE_ITEM_RE.findall(listed)
        assert all(link for _, link in items), m.indicator.code  # every counted record has a page
        near = page.split('id="near-misses"')[1].split("</ul>")[0] if 'id="near-misses"' in page else ""
        near_links = re.findall(r'<li class="list-group-item py-1"><a href="([^"]+)">', near)
        records = [r for r, _ in m.near_misses[:50] if not isinstance(r, dict) or "_id" in r]
        assert len(near_links) == len(records), m.indicator.code
        for link in [link for _, link in items[:1]] + near_links[:1]:
            linked.add(link.split("/details/")[0])
            assert client.get(link.replace("&amp;", "&")).status_code == 200, (m.indicator.code, link)
    assert len(linked) >= 8  # the demo data reaches records of most kinds: the links above are real


def test_the_evidence_pages_hold_every_counted_record_once(app, mixed, login_as):
    from seeds.demo import generate_visits_and_patrols

    with app.app_context():
        generate_visits_and_patrols(seed=16, visits_per_person=(2, 4), share_visited=1.0)
    biggest = max(_measurements(), key=lambda m: m.counted)
    assert biggest.counted > 50  # more than one page
    client = login_as("coordinator")
    url = f"/indicators/show/{biggest.indicator.code}/"
    first = client.get(url).get_data(as_text=True)
    pages = int(re.search(r"第 1/(\d+) 页", first).group(1))
    seen = []
    for number in range(1, pages + 1):
        page = client.get(f"{url}?page={number}").get_data(as_text=True)
        listed = page.split('id="evidence"')[1].split("</ul>")[0]
        seen += re.findall(r'<li class="list-group-item py-1">(.*?)</li>', listed, re.S)
    assert len(seen) == biggest.counted == len(set(seen))


# ---------------------------------------------------------------- the archive grid: 最近探访, 本期未探访; the schedule


def _visit(person, when, accounts):
    from models.visits import Visit, add_photo

    from .helpers import png_bytes

    record = Visit(people=[person], visited_at=when, mode="home", contact="made", township=person.township)
    add_photo(record, png_bytes(color=(when.day, when.month, 3)), "p.png", 5 * 1024 * 1024)
    return create_record(record, accounts["staff"])


def test_high_risk_children_of_a_township_not_visited_this_month(app, login_as, townships, accounts):
    from models.clock import local_now

    from .archive_helpers import make_child

    home, other = townships["东江街道"], townships["穿山街道"]
    seen = make_child(home, name="本月已访", sequence=701, risk_level="1")
    earlier = make_child(home, name="上月已访", sequence=702, risk_level="1")
    make_child(home, name="从未探访", sequence=703, risk_level="1")
    make_child(home, name="二级未访", sequence=704, risk_level="2")
    make_child(other, name="穿山未访", sequence=705, risk_level="1")
    now = local_now().replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    _visit(seen, now, accounts)
    last_month = now.replace(day=1) - dt.timedelta(days=3)
    _visit(earlier, last_month, accounts)
    client = login_as("coordinator")
    url = f"/childarchive/?flt0_township_equals={home.pk}&flt1_risk_level_equals=1&flt2_not_visited=month"
    page = client.get(url).get_data(as_text=True)
    assert _listed(client, url) == 2
    assert "上月已访" in page and "从未探访" in page
    assert "本月已访" not in page and "二级未访" not in page and "穿山未访" not in page
    assert f"{last_month:%Y-%m-%d}" in page  # the 最近探访 column
    whole = client.get(f"/childarchive/?flt0_township_equals={home.pk}").get_data(as_text=True)
    assert "最近探访" in whole and f"{now:%Y-%m-%d}" in whole


def test_the_schedule_filters_by_township_and_each_count_opens_as_many_people(mixed, login_as, townships):
    client = login_as("coordinator")
    for code in ("child_risk_1", "elderly_monthly"):
        page = client.get(f"/schedule/?policy={code}").get_data(as_text=True)
        total = int(re.search(r'id="due-total">(\d+)<', page).group(1))
        links = [(href.replace("&amp;", "&"), int(n)) for href, n in
                 re.findall(r'<a class="due-link" href="([^"]+)">(\d+)</a>', page)]
        assert links and sum(n for _, n in links) == 2 * total  # every person once per worker, once per township
        for href, figure in links:
            linked = client.get(href).get_data(as_text=True)
            assert int(re.search(r'id="due-total">(\d+)<', linked).group(1)) == figure, href
        home = townships["东江街道"].pk
        one = client.get(f"/schedule/?policy={code}&township={home}").get_data(as_text=True)
        assert f'value="{home}" selected' in one
        listed = set(re.findall(r"<td>(东江街道|穿山街道|漓东街道|七星区街道)</td>", one.split('id="due-table"')[-1]
                                .split("</table>")[0]))
        assert listed <= {"东江街道"}


# ---------------------------------------------------------------- saved filters (常用筛选)


def test_a_coordinator_names_the_current_filters_and_reopens_them(mixed, login_as, client, townships):
    from models.audit import AuditEntry
    from models.saved_filters import SavedFilter

    from .conftest import csrf_token

    home = townships["东江街道"].pk
    filtered = f"/childarchive/?flt0_township_equals={home}&flt1_risk_level_equals=1&flt2_not_visited=month&page=1"
    login_as("coordinator")
    page = client.get(filtered).get_data(as_text=True)
    assert 'id="save-filter-form"' in page and "常用筛选" in page
    query = re.search(r'name="query" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "page=" not in query  # the filters, not the page they were on
    token = csrf_token(client, filtered)
    answer = client.post("/childarchive/saved-filters/", data={"csrf_token": token, "name": "东江一级本月未访",
                                                              "query": query})
    assert answer.status_code == 302
    listed = client.get("/childarchive/").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">东江一级本月未访</a>', listed).group(1).replace("&amp;", "&")
    assert _listed(client, link) == _listed(client, filtered) > 0
    saved = SavedFilter.objects(name="东江一级本月未访").get()
    assert AuditEntry.objects(collection="saved_filters", record_id=str(saved.pk), action="create").count() == 1
    # the same name again replaces what it holds; a nameless one is refused with a message
    client.post("/childarchive/saved-filters/", data={"csrf_token": token, "name": "东江一级本月未访",
                                                      "query": f"flt0_township_equals={home}"})
    assert SavedFilter.objects(voided=False).count() == 1
    assert SavedFilter.objects(voided=False).get().query == f"flt0_township_equals={home}"
    refused = client.post("/childarchive/saved-filters/", data={"csrf_token": token, "name": " ", "query": query},
                          follow_redirects=True).get_data(as_text=True)
    assert "请填写筛选的名称" in refused
    # another list and another user do not see it
    assert ">东江一级本月未访</a>" not in client.get("/archive/").get_data(as_text=True)
    login_as("manager")
    assert ">东江一级本月未访</a>" not in client.get("/childarchive/").get_data(as_text=True)
    answer = client.post("/childarchive/saved-filters/remove/",
                         data={"csrf_token": csrf_token(client, "/childarchive/"), "id": str(saved.pk)},
                         follow_redirects=True).get_data(as_text=True)
    assert "该常用筛选不存在或已删除" in answer and SavedFilter.objects(voided=False).count() == 1
    login_as("coordinator")
    client.post("/childarchive/saved-filters/remove/",
                data={"csrf_token": csrf_token(client, "/childarchive/"), "id": str(saved.pk)})
    assert SavedFilter.objects(voided=False).count() == 0 and SavedFilter.objects.count() == 1  # kept, voided
    assert ">东江一级本月未访</a>" not in client.get("/childarchive/").get_data(as_text=True)
