"""Offline field capture in headless Chromium at a phone's width (375 px), the browser switched
offline: records kept on the phone survive a reload without a connection and are saved exactly
once when it returns; a sync cut off halfway makes no duplicate; a person closed meanwhile is
held and explained; signing out wipes the phone's data."""

import datetime as dt

import pytest

from models.archives import ChildArchive
from models.casework import GroupSeries
from models.patrols import Patrol
from models.services import create_record, snapshot, update_record
from models.visits import Visit

from .archive_helpers import make_child
from .conftest import PASSWORD
from .test_browser import BROWSER_OPTIONS, browser, live_server, on_the_apps_clock, sign_in  # noqa: F401  (fixtures)
from .test_visits import jpeg_with_exif

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}


def _world(app, townships, accounts):
    with app.app_context():
        staff = accounts["staff"]
        child = make_child(townships["东江街道"], name="田小禾", sequence=71, worker=staff, risk_level="1",
                           current_address="朝阳乡某村 3 组")
        group = create_record(GroupSeries(title="四点半课堂", goal="课后陪伴", township=townships["东江街道"],
                                          facilitators=[staff], members=["田小禾", "李小树"],
                                          started_on=dt.datetime(2026, 11, 2)), staff)
        return str(child.pk), str(group.pk)


def _phone(browser, **options):  # noqa: F811
    context = browser.new_context(viewport=PHONE, **{**BROWSER_OPTIONS, **options})
    on_the_apps_clock(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _open_field(page, base):
    page.goto(f"{base}/field/")
    page.wait_for_selector("#field-app[data-ready='1']")
    page.wait_for_function("document.querySelectorAll('#visit-person option').length > 1")


def _queue_count(page, count):
    page.wait_for_function(f"document.getElementById('queue-count').textContent === '{count}'")


def _record_visit(page, child_id):
    page.click("button[data-tab='visit']")
    page.select_option("#visit-person", child_id)
    page.set_input_files("#visit-photos", files=[{"name": "入户.jpg", "mimeType": "image/jpeg",
                                                   "buffer": jpeg_with_exif("2026:11:30 09:15:00")}])
    page.fill("#visit-notes", "老人与孩子在家，生活正常。")
    page.click("#form-visit button[type=submit]")


def _record_patrol(page):
    page.click("button[data-tab='patrol']")
    page.fill("#patrol-start", "19:00")
    page.fill("#patrol-end", "20:30")
    page.fill("#patrol-places", "漓江桥下")
    page.fill("#encounter-description", "中年男性，衣着单薄")
    page.check("#action-onsite_aid")
    page.fill("#encounter-items", "棉被一床")
    page.click("#form-patrol button[type=submit]")


def _record_session(page, group_id, double_tap=False):
    page.click("button[data-tab='session']")
    page.select_option("#session-group", group_id)
    page.fill("#session-hours", "1.5")
    page.fill("#session-topic", "作业辅导")
    (page.dblclick if double_tap else page.click)("#form-session button[type=submit]")


def _offline_with_a_visit(app, townships, accounts, base, browser):  # noqa: F811
    """A signed-in phone (no service worker) that went offline and recorded one visit."""
    child_id, group_id = _world(app, townships, accounts)
    context, page, errors = _phone(browser, service_workers="block")
    sign_in(page, base, "shegong")
    _open_field(page, base)
    context.set_offline(True)
    _record_visit(page, child_id)
    _queue_count(page, 1)
    return child_id, group_id, context, page, errors


def _counts(app, child_id, group_id):
    with app.app_context():
        visits = list(Visit.objects(people=child_id))
        group = GroupSeries.objects(pk=group_id).first()
        return {"visits": len(visits), "photos": sum(len(v.photos) for v in visits),
                "patrols": Patrol.objects.count(), "sessions": group.session_count}


def test_recorded_offline_reloaded_offline_then_saved_once_with_the_photo(app, townships, accounts, live_server,  # noqa: F811
                                                                          browser):  # noqa: F811
    child_id, group_id = _world(app, townships, accounts)
    context, page, errors = _phone(browser)
    sign_in(page, live_server, "shegong")
    _open_field(page, live_server)
    assert "田小禾" in page.inner_text("#people-list") and "朝阳乡" in page.inner_text("#people-list")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("caches.open('mz-field-v1').then(c => c.keys()).then(k => k.length > 3)")
    context.set_offline(True)
    page.wait_for_function("document.getElementById('field-network').textContent.indexOf('离线') >= 0")
    _record_visit(page, child_id)
    _queue_count(page, 1)
    _record_patrol(page)
    _queue_count(page, 2)
    _record_session(page, group_id, double_tap=True)
    _queue_count(page, 3)
    page.wait_for_timeout(300)
    assert page.inner_text("#queue-count") == "3"  # the double tap kept one record
    assert _counts(app, child_id, group_id) == {"visits": 0, "photos": 0, "patrols": 0, "sessions": 0}
    page.reload()
    page.wait_for_selector("#field-app[data-ready='1']")
    _queue_count(page, 3)
    assert "待同步" in page.inner_text("#queue-list") and "田小禾" in page.inner_text("#people-list")
    page.screenshot(path="test-artifacts/offline-queue.png", full_page=True)
    context.set_offline(False)
    _queue_count(page, 0)
    assert _counts(app, child_id, group_id) == {"visits": 1, "photos": 1, "patrols": 1, "sessions": 1}
    with app.app_context():
        visit = Visit.objects(people=child_id).first()
        assert visit.photos[0].taken_at == dt.datetime(2026, 11, 30, 9, 15)
    page.click("#sync-now")  # nothing left to send: nothing is sent twice
    page.wait_for_timeout(500)
    assert _counts(app, child_id, group_id) == {"visits": 1, "photos": 1, "patrols": 1, "sessions": 1}
    assert not errors, errors
    context.close()


def test_a_sync_cut_off_after_the_first_item_and_retried_makes_no_duplicate(app, townships, accounts,
                                                                            live_server, browser):  # noqa: F811
    child_id, group_id, context, page, errors = _offline_with_a_visit(app, townships, accounts, live_server, browser)
    _record_session(page, group_id)
    _queue_count(page, 2)
    calls = []

    def cut_off(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.continue_()
        else:  # the server gets the second item and saves it, but its answer never reaches the phone
            route.fetch()
            route.abort()

    page.route("**/field/sync", cut_off)
    context.set_offline(False)
    page.wait_for_function("document.getElementById('field-message').textContent.indexOf('同步中断') >= 0")
    _queue_count(page, 1)
    assert _counts(app, child_id, group_id) == {"visits": 1, "photos": 1, "patrols": 0, "sessions": 1}
    page.unroute("**/field/sync")
    page.click("#sync-now")
    _queue_count(page, 0)
    assert _counts(app, child_id, group_id) == {"visits": 1, "photos": 1, "patrols": 0, "sessions": 1}
    assert not errors, errors
    context.close()


def test_a_person_closed_on_the_server_meanwhile_is_held_and_explained(app, townships, accounts, live_server,  # noqa: F811
                                                                        browser):  # noqa: F811
    child_id, group_id, context, page, errors = _offline_with_a_visit(app, townships, accounts, live_server, browser)
    with app.app_context():
        child = ChildArchive.objects(pk=child_id).first()
        before = snapshot(child)
        child.status, child.status_reason, child.status_date = "closed", "随父母迁居外省", dt.datetime(2026, 11, 28)
        update_record(child, before, child.version, accounts["coordinator"])
    context.set_offline(False)
    page.wait_for_selector(".queue-item[data-state='conflict']")
    held = page.inner_text(".queue-item[data-state='conflict']")
    assert "有冲突" in held and "已结案" in held and "田小禾" in held
    assert page.locator(".queue-choice[data-choice='save']").count() == 0  # the rules do not allow it
    assert page.locator(".queue-choice[data-choice='discard']").count() == 1
    assert _counts(app, child_id, group_id)["visits"] == 0
    page.screenshot(path="test-artifacts/offline-conflict.png", full_page=True)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(".queue-choice[data-choice='discard']")
    _queue_count(page, 0)
    assert not errors, errors
    context.close()


STORED = """async () => {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('mz-field', 1); r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error); r.onupgradeneeded = () => { r.result.createObjectStore('data', {keyPath: 'key'});
    r.result.createObjectStore('queue', {keyPath: 'id'}); }; });
  const count = await new Promise((ok) => { const q = db.transaction('data').objectStore('data').count();
    q.onsuccess = () => ok(q.result); });
  db.close();
  const kept = (await caches.keys()).filter((name) => name.indexOf('mz-field') === 0).length;
  return {data: count, caches: kept};
}"""


def test_signing_out_wipes_the_phones_data(app, townships, accounts, live_server, browser):  # noqa: F811
    _world(app, townships, accounts)
    context, page, errors = _phone(browser)
    sign_in(page, live_server, "shegong")
    _open_field(page, live_server)
    page.wait_for_function("caches.open('mz-field-v1').then(c => c.keys()).then(k => k.length > 3)")
    assert page.evaluate(STORED) == {"data": 1, "caches": 1}
    page.goto(f"{live_server}/logout")
    page.wait_for_selector("html[data-field-wiped='1']")
    assert page.evaluate(STORED) == {"data": 0, "caches": 0}
    assert not errors, errors
    context.close()


def test_faults_are_said_in_chinese_and_lose_nothing_queued(app, townships, accounts, live_server, browser):  # noqa: F811
    child_id, group_id = _world(app, townships, accounts)
    context, page, errors = _phone(browser, service_workers="block")
    sign_in(page, live_server, "shegong")
    _open_field(page, live_server)
    context.set_offline(True)
    # a photo the phone cannot read: said, nothing queued, the typed text kept
    page.select_option("#visit-person", child_id)
    page.fill("#visit-notes", "门口交谈")
    page.set_input_files("#visit-photos", files=[{"name": "坏.jpg", "mimeType": "image/jpeg", "buffer": b"not a jpeg"}])
    page.click("#form-visit button[type=submit]")
    page.wait_for_function("document.getElementById('field-message').textContent.indexOf('无法读取照片') >= 0")
    assert page.input_value("#visit-notes") == "门口交谈"
    _queue_count(page, 0)
    # the phone's storage is full: said, the typed text kept
    page.evaluate("""() => { window._put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function () { throw new DOMException('full', 'QuotaExceededError'); }; }""")
    _record_visit(page, child_id)
    page.wait_for_function("document.getElementById('field-message').textContent.indexOf('存储空间已满') >= 0")
    assert page.input_value("#visit-notes") == "老人与孩子在家，生活正常。"
    page.evaluate("() => { IDBObjectStore.prototype.put = window._put; }")
    page.click("#form-visit button[type=submit]")
    _queue_count(page, 1)
    # a server error: said, the item stays queued
    page.route("**/field/sync", lambda route: route.fulfill(status=500, body="error"))
    context.set_offline(False)
    page.wait_for_function("document.getElementById('field-message').textContent.indexOf('服务器暂时出错') >= 0")
    _queue_count(page, 1)
    page.unroute("**/field/sync")
    # the session ended meanwhile: said, the queue kept, and sent after signing in again
    context.clear_cookies()
    page.click("#sync-now")
    page.wait_for_function("document.getElementById('field-message').textContent.indexOf('重新登录') >= 0")
    _queue_count(page, 1)
    assert page.evaluate(STORED)["data"] == 0  # the session is gone: the downloaded people are wiped
    assert _counts(app, child_id, group_id)["visits"] == 0
    page.click("#field-message a")
    page.fill("#username", "shegong")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#field-app[data-ready='1']")
    _queue_count(page, 0)
    assert _counts(app, child_id, group_id)["visits"] == 1
    assert not errors, errors
    context.close()
