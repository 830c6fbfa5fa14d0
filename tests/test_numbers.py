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

from .helpers import make_attachment

CARD_RE = re.compile(r'href="([^"]+)">\s*<div class="card-body">\s*<div class="figure-value">(\d+)</div>\s*'
                     r'<div class="figure-label">([^<]+)</div>')
LIST_COUNT_RE = re.compile(r'class="nav-link active">列表(?: \((\d+)\))?</a>')
ROLES = ("admin", "coordinator", "manager", "staff", "staff2")


@pytest.fixture
def mixed(app, accounts, townships):
    """Demo data, then some archives closed, given to the test's workers, cases closed, tasks done."""
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(60, seed=15)
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
            inside = [row["_id"] for row in collection.find({"township": home}, {"_id": 1}).sort("_id", 1)][:6]
            outside = [row["_id"] for row in collection.find({"township": {"$ne": home}}, {"_id": 1}).sort("_id", 1)][:3]
            assert inside and outside
            collection.update_many({"_id": {"$in": inside + outside}}, {"$set": {field: accounts["staff"].pk}})
            if document is Case:  # two of them closed
                collection.update_many({"_id": {"$in": inside[:2]}}, {"$set": {"closed_on": dt.datetime(2026, 5, 1)}})
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
