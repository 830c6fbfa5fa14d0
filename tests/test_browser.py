"""Drive the running app in headless Chromium (Debian's), as each role, at a
desktop and a phone width. Screenshots go to test-artifacts/ (git-ignored).

A click that leads to another page is made inside ``page.expect_navigation()``: the
click returns before the navigation commits, and on a busy machine waiting for the load
state alone could still see the old page (the browser tests in the other modules too)."""

import datetime
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from models import idnumber

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def live_server(app, accounts):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian 的 chromium 未安装（.ci/run 会安装）"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


#: A browser in the station's time zone, so that the times a page fills in are the station's.
BROWSER_OPTIONS = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def on_the_apps_clock(context_or_page) -> None:
    """Start the browser's clock at the app's "now" (the test run's day, see tests/conftest.py), time then
    flowing as the app's does: a time a page fills in ("now") is never later than the server's."""
    from models.clock import STATION_TZ, local_now

    context_or_page.clock.install(time=local_now().replace(tzinfo=STATION_TZ))


def open_page(browser, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, **BROWSER_OPTIONS)
    on_the_apps_clock(page)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


ROLE_PAGES = {
    "admin1": ("系统管理员工作台", ["/user/", "/user/new/", "/audit/", "/township/"]),
    "zhuguan": ("项目主管工作台", ["/audit/", "/attachment/", "/attachment/new/"]),
    "shegong": ("社工工作台", ["/attachment/", "/attachment/new/"]),
    "guanli": ("管理者工作台", ["/attachment/", "/township/"]),
}


@pytest.mark.parametrize("username", list(ROLE_PAGES))
def test_each_role_logs_in_and_sees_chinese_pages(live_server, browser, username):
    ARTIFACTS.mkdir(exist_ok=True)
    heading, urls = ROLE_PAGES[username]
    page, errors = open_page(browser)
    sign_in(page, live_server, username)
    assert heading in page.content()
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.screenshot(path=str(ARTIFACTS / f"{username}-home.png"), full_page=True)
    for url in urls:
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        body = page.inner_text("body")
        assert "民政服务站管理系统" in body
        for english in ("Create", "Save", "List", "Search", "Add Filter", "Failed", "items"):
            assert english not in body, f"{url} shows English: {english}"
        page.screenshot(path=str(ARTIFACTS / f"{username}{url.replace('/', '_')}.png"), full_page=True)
    assert errors == [], errors


def test_staff_uploads_a_photo_on_a_phone(live_server, browser, tmp_path):
    from .helpers import png_bytes

    photo = tmp_path / "visit.png"
    photo.write_bytes(png_bytes(size=(80, 60)))
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/attachment/new/")
    page.fill("#title", "入户照片")
    page.select_option("#kind", "photo")
    page.click("#s2id_township a, #s2id_township")
    page.keyboard.type("东江")
    page.wait_for_selector(".select2-result-selectable")
    page.click(".select2-result-selectable")
    page.set_input_files("#upload", str(photo))
    page.screenshot(path=str(ARTIFACTS / "staff-phone-upload-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "入户照片" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.screenshot(path=str(ARTIFACTS / "staff-phone-after-upload.png"), full_page=True)
    assert errors == [], errors


def test_child_archive_with_risk_assessment_found_by_pinyin_and_printed(live_server, browser, townships):
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = open_page(browser)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/childarchive/new/")
    page.fill("#name", "张三丰")
    page.fill("#id_number", idnumber.make("450305", datetime.date(2016, 3, 15), 1))
    page.fill("#birth_date", "2016-03-15")
    page.select_option("#township", label="东江街道", force=True)
    page.screenshot(path=str(ARTIFACTS / "child-archive-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body")

    page.fill("input[name=search]", "zsf")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.click("text=张三丰")
    page.wait_for_load_state("networkidle")
    page.click("text=新增风险评估")
    page.check("#f_neglect")
    page.check("#f_home_hazard")
    with page.expect_navigation():
        page.click("button[name=preview]")
    page.wait_for_load_state("networkidle")
    assert "二级（中）" in page.inner_text("#suggestion")
    with page.expect_navigation():
        page.click("button:has-text('保存评估')")
    page.wait_for_load_state("networkidle")
    assert "风险评估已保存" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "child-archive-details.png"), full_page=True)
    with page.expect_popup() as popup:
        page.click("text=打印一人一档")
    printed = popup.value
    printed.wait_for_load_state("networkidle")
    assert "一人一档" in printed.inner_text("body") and "被忽视、无人照料" in printed.inner_text("body")
    printed.screenshot(path=str(ARTIFACTS / "child-archive-print.png"), full_page=True)
    printed.pdf(path=str(ARTIFACTS / "child-archive-print.pdf"), format="A4")
    assert errors == [], errors


def test_staff_records_a_visit_with_a_photo_from_the_schedule_on_a_phone(live_server, browser, townships, tmp_path):
    from .archive_helpers import make_child
    from .helpers import png_bytes

    ARTIFACTS.mkdir(exist_ok=True)
    make_child(townships["东江街道"], name="周小雨", sequence=77, risk_level="1")
    photo = tmp_path / "visit.png"
    photo.write_bytes(png_bytes(size=(120, 90)))
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/schedule/?policy=child_risk_1")
    assert "周小雨" in page.inner_text("#due-table")
    page.screenshot(path=str(ARTIFACTS / "phone-schedule.png"), full_page=True)
    with page.expect_navigation():
        page.click("#due-table a:has-text('登记探访')")
    page.wait_for_load_state("networkidle")
    assert "周小雨" in page.content()
    page.fill("#notes", "孩子在家，外婆照看，作业已完成。")
    page.set_input_files("#photo_upload", str(photo))
    page.screenshot(path=str(ARTIFACTS / "phone-visit-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.goto(f"{live_server}/schedule/?policy=child_risk_1")
    assert "周小雨" not in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "phone-schedule-after.png"), full_page=True)
    assert errors == [], errors


def test_staff_records_a_patrol_and_a_group_session_from_the_home_page_in_three_page_loads(
        live_server, browser, townships, accounts):
    import datetime as dt

    from models.casework import GroupSeries
    from models.patrols import Patrol
    from models.services import create_record

    ARTIFACTS.mkdir(exist_ok=True)
    create_record(GroupSeries(title="隔代教养家长小组", goal="提升沟通", township=townships["东江街道"],
                              facilitators=[accounts["staff"]], members=["王奶奶", "李爷爷"],
                              started_on=dt.datetime(2026, 3, 1)), None)
    create_record(GroupSeries(title="别人的小组", goal="提升沟通", township=townships["东江街道"],
                              facilitators=[accounts["staff2"]], members=["张三"], started_on=dt.datetime(2026, 3, 1)),
                  None)
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    assert page.locator("#quick-records .quick-group").all_inner_texts() == ["隔代教养家长小组：记录一节活动"]
    page.screenshot(path=str(ARTIFACTS / "after-phone-home-quick-records.png"), full_page=True)

    loads = _load_counter(page)
    with page.expect_navigation():
        page.click("#quick-patrol")
    page.wait_for_load_state("networkidle")
    page.fill("#places", "火车站广场")
    page.fill("#start_time", "19:00")
    page.fill("#end_time", "21:00")
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body"), page.inner_text("body")[:500]
    assert len(loads) <= 3, loads  # the patrol form, then home again
    assert page.locator("#quick-records").count() == 1 and Patrol.objects.count() == 1

    loads.clear()
    with page.expect_navigation():
        page.click("#quick-records .quick-group")
    page.wait_for_load_state("networkidle")
    page.fill("#hours", "2")
    page.fill("#topic", "祖孙沟通")
    with page.expect_navigation():
        page.click("button:has-text('保存本节活动')")
    page.wait_for_load_state("networkidle")
    assert "已记录第 1 节活动（出席 2 人）" in page.inner_text("body")
    assert len(loads) <= 3, loads  # the session form, then the group's page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    assert errors == [], errors


def test_coordinator_records_an_expense_with_a_receipt_and_sees_the_budget(live_server, browser, tmp_path):
    from models.budget import BudgetLine
    from models.services import snapshot, update_record

    from .helpers import png_bytes

    ARTIFACTS.mkdir(exist_ok=True)
    line = BudgetLine.objects(name="活动经费").get()
    before = snapshot(line)
    line.planned_fen = 5_000_000
    update_record(line, before, line.version, None)
    receipt = tmp_path / "receipt.png"
    receipt.write_bytes(png_bytes(size=(160, 120)))
    page, errors = open_page(browser)
    sign_in(page, live_server, "zhuguan")
    page.goto(f"{live_server}/budget/")
    with page.expect_navigation():
        page.click("text=登记支出")
    page.wait_for_load_state("networkidle")
    page.select_option("#line", label="活动经费", force=True)
    page.fill("#spent_on", "2026-06-01")
    page.fill("#amount_fen", "1280.50")
    page.fill("#payee", "七星文具店")
    page.fill("#purpose", "六一儿童节活动物资")
    page.set_input_files("#receipt_upload", str(receipt))
    page.screenshot(path=str(ARTIFACTS / "expense-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "经费预算执行" in page.inner_text("body")
    assert "¥1,280.50" in page.inner_text("#budget-lines")
    assert "¥48,719.50" in page.inner_text("#budget-lines")
    page.screenshot(path=str(ARTIFACTS / "budget-page.png"), full_page=True)
    page.goto(f"{live_server}/expense/")
    with page.expect_popup() as popup:
        page.click("text=查看文件")
    assert popup.value is not None
    assert errors == [], errors


def test_staff_records_a_group_session_with_attendance_on_a_phone(live_server, browser, townships, tmp_path):
    import datetime as dt

    from models.casework import GroupSeries
    from models.services import create_record

    from .helpers import png_bytes

    ARTIFACTS.mkdir(exist_ok=True)
    group = create_record(GroupSeries(title="留守儿童成长小组", goal="增强自信", township=townships["东江街道"],
                                      members=["小明", "小红", "小刚"], started_on=dt.datetime(2026, 3, 1)), None)
    photo = tmp_path / "session.png"
    photo.write_bytes(png_bytes(size=(120, 90)))
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/groupseries/details/?id={group.pk}")
    with page.expect_navigation():
        page.click("text=记录一节活动")
    page.wait_for_load_state("networkidle")
    page.fill("#session_date", "2026-03-08")
    page.fill("#hours", "2.5")
    page.fill("#topic", "认识你我")
    page.uncheck("text=小刚")
    page.fill("#content", "破冰游戏，制定小组契约。")
    page.set_input_files("#photo_upload", str(photo))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.screenshot(path=str(ARTIFACTS / "phone-group-session-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('保存本节活动')")
    page.wait_for_load_state("networkidle")
    assert "已记录第 1 节活动（出席 2 人）" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "phone-group-after-session.png"), full_page=True)
    saved = GroupSeries.objects(pk=group.pk).get()
    assert saved.sessions[0].attendance == ["小明", "小红"] and len(saved.photos) == 1
    assert errors == [], errors


def test_manager_opens_the_indicator_overview_an_indicator_and_its_evidence(live_server, browser, townships, accounts):
    import datetime as dt

    from models.casework import Case, CaseSession
    from models.services import create_record

    from .archive_helpers import make_elder

    ARTIFACTS.mkdir(exist_ok=True)
    for i in range(3):
        person = make_elder(townships["东江街道"], name=f"个案老人{i}", sequence=700 + i)
        create_record(Case(case_type="consultation", client=person, worker=accounts["staff"], title=f"居家支持{i}",
                           opened_on=dt.datetime(2026, 3, 1 + i),
                           sessions=[CaseSession(session_date=dt.datetime(2026, 3, 2 + i + d), hours=2, content="面谈")
                                     for d in range(3 - (i == 2))]), None)
    page, errors = open_page(browser)
    sign_in(page, live_server, "guanli")
    page.goto(f"{live_server}/indicators/")
    page.wait_for_load_state("networkidle")
    assert "指标总览" in page.inner_text("body")
    assert page.inner_text("#indicator-cases-consultation .achieved").strip() == "2个"
    page.screenshot(path=str(ARTIFACTS / "manager-indicators.png"), full_page=True)
    with page.expect_navigation():
        page.click("#indicator-cases-consultation a")
    page.wait_for_load_state("networkidle")
    assert "计入的记录（2 条）" in page.inner_text("body")
    assert page.locator("#indicator-chart canvas").count() == 1
    assert "服务 2 次，须 > 2 次" in page.inner_text("#near-misses")
    page.screenshot(path=str(ARTIFACTS / "manager-indicator-detail.png"), full_page=True)
    with page.expect_navigation():
        page.click("#evidence a >> nth=0")
    page.wait_for_load_state("networkidle")
    assert "居家支持" in page.inner_text("body") and "达标" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "manager-evidence-case.png"), full_page=True)
    assert errors == [], errors


# ---------------------------------------------------------------- nothing typed is lost (phone, 375 px)

DRAFT_NOTICE = "已恢复未保存的内容"


def _load_counter(page):
    """The number of pages the browser loads (each document, not its pictures or scripts)."""
    loads = []
    page.on("load", lambda: loads.append(page.url))
    return loads


def _drafts(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('mz-draft:'))")


def _jpeg_with_exif(path, size, taken="2026:03:05 09:30:00"):
    from PIL import Image

    image = Image.new("RGB", size, (120, 160, 200))
    exif = Image.Exif()
    exif[0x8769] = {0x9003: taken}  # DateTimeOriginal in the Exif IFD
    image.save(path, format="JPEG", quality=95, exif=exif)


def test_staff_records_a_visit_with_a_photo_from_the_home_page_in_three_page_loads(live_server, browser, townships,
                                                                                   accounts, tmp_path):
    from models.visits import Visit

    from .archive_helpers import make_child

    ARTIFACTS.mkdir(exist_ok=True)
    make_child(townships["东江街道"], name="周小雨", sequence=77, risk_level="1", worker=accounts["staff"])
    photo = tmp_path / "big.jpg"
    _jpeg_with_exif(photo, (3000, 2000))
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    loads = _load_counter(page)
    assert "周小雨" in page.inner_text("#due-visits")
    page.screenshot(path=str(ARTIFACTS / "after-phone-home-due-visits.png"), full_page=True)
    with page.expect_navigation():
        page.click("#due-visits a:has-text('登记探访')")
    page.wait_for_load_state("networkidle")
    assert "周小雨" in page.inner_text("#visit-person") and page.is_hidden("#s2id_people")
    take = page.locator("label.photo-take").bounding_box()
    assert take["height"] >= 44 and take["width"] >= 300
    order = page.evaluate("""['photo_upload', 'notes', 'visited_at'].map(
        id => document.getElementById(id).getBoundingClientRect().top + window.scrollY)""")
    assert order == sorted(order), order  # 拍照, then 探访记录, then the rest
    assert page.is_hidden("#living")  # folded under 更多
    page.set_input_files("#photo_upload", str(photo))
    page.wait_for_selector("#photo_upload[data-shrunk]", state="attached")
    page.fill("#notes", "孩子在家，外婆照看，作业已完成。")
    save = page.locator("input[type=submit][value='保存']")
    assert save.bounding_box()["height"] >= 44
    page.screenshot(path=str(ARTIFACTS / "after-phone-visit-form.png"), full_page=False)
    with page.expect_navigation():
        save.click()
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body")
    assert len(loads) <= 3, loads  # the visit form, the saved page (home, where the person is no longer due)
    assert "周小雨" not in page.inner_text("#due-visits")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.screenshot(path=str(ARTIFACTS / "after-phone-home-after-visit.png"), full_page=True)
    visit = Visit.objects.get()
    stored = visit.photos[0]
    from PIL import Image

    stored.file.seek(0)
    with Image.open(stored.file) as image:
        assert max(image.size) <= 2000 and image.format == "JPEG"  # shrunk on the phone
    assert stored.taken_at is not None and stored.taken_at.day == 5  # its capture time kept
    assert _drafts(page) == []
    assert errors == [], errors


def test_a_visit_typed_before_the_session_expired_is_restored_after_logging_in_again(live_server, browser, townships,
                                                                                     tmp_path):
    from models.visits import Visit

    from .archive_helpers import make_child
    from .helpers import png_bytes

    child = make_child(townships["东江街道"], name="周小雨", sequence=77, risk_level="1")
    photo = tmp_path / "visit.png"
    photo.write_bytes(png_bytes(size=(120, 90)))
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    form_url = f"{live_server}/visit/new/?person={child.pk}"
    page.goto(form_url)
    page.fill("#notes", "会话过期前写下的探访记录。")
    page.context.clear_cookies()  # the session expired while the worker was typing
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "/login" in page.url
    page.fill("#username", "shegong")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/visit/new/" in page.url
    page.wait_for_selector(".form-notice-draft")
    assert DRAFT_NOTICE in page.inner_text(".form-notice-draft")
    assert page.input_value("#notes") == "会话过期前写下的探访记录。"
    page.screenshot(path=str(ARTIFACTS / "after-phone-draft-restored-after-login.png"), full_page=False)
    page.set_input_files("#photo_upload", str(photo))
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body")
    assert Visit.objects.get().notes == "会话过期前写下的探访记录。"
    assert _drafts(page) == []  # discarded after the save
    page.goto(form_url)
    page.wait_for_load_state("load")
    assert page.locator(".form-notice-draft").count() == 0 and page.input_value("#notes") == ""
    assert errors == [], errors


def test_a_refused_visit_keeps_its_text_and_its_photo(live_server, browser, townships, tmp_path):
    from models.pending import PendingUpload
    from models.visits import Visit

    from .archive_helpers import make_child
    from .helpers import png_bytes

    child = make_child(townships["东江街道"], name="周小雨", sequence=77, risk_level="1")
    photo = tmp_path / "visit.png"
    photo.write_bytes(png_bytes(size=(120, 90)))
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/visit/new/?person={child.pk}")
    page.fill("#notes", "被拒绝后仍在的记录。")
    page.set_input_files("#photo_upload", str(photo))
    # a time in the future: refused by the server (set as typed, without the picker's pop-up over the button)
    page.evaluate("document.getElementById('visited_at').value = '2099-03-05 10:00:00'")
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert Visit.objects.count() == 0
    assert page.input_value("#notes") == "被拒绝后仍在的记录。"
    kept = page.locator(".pending-files input[type=checkbox]:checked")
    assert kept.count() == 1 and "visit.png" in page.inner_text(".pending-files")
    assert page.evaluate("document.querySelector('.pending-files img').naturalWidth") > 0  # its thumbnail shows
    assert "探访时间不能晚于现在" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "after-phone-refused-visit-keeps-photo.png"), full_page=True)
    page.evaluate("document.getElementById('visited_at').value = '2026-03-05 10:00:00'")
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body")
    visit = Visit.objects.get()
    assert len(visit.photos) == 1 and visit.photos[0].filename == "visit.png"
    assert PendingUpload.objects.count() == 0
    assert errors == [], errors


def test_a_draft_survives_a_lost_connection_and_a_reload(live_server, browser, townships):
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/attachment/new/")
    page.fill("#title", "断网时写的标题")
    page.fill("#note", "断网时写的说明")
    page.context.set_offline(True)
    page.click("input[type=submit][value='保存']")
    assert "网络已断开" in page.inner_text(".form-notice-offline")
    page.context.set_offline(False)
    page.reload()
    page.wait_for_selector(".form-notice-draft")
    assert page.input_value("#title") == "断网时写的标题" and page.input_value("#note") == "断网时写的说明"
    page.click("text=放弃草稿")
    page.wait_for_load_state("load")
    assert page.input_value("#title") == "" and _drafts(page) == []
    assert errors == [], errors


def test_a_too_large_upload_is_answered_inside_the_form(app, live_server, browser, townships, tmp_path):
    import os

    from PIL import Image

    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    big = tmp_path / "scan.gif"
    Image.frombytes("L", (600, 600), os.urandom(600 * 600)).save(big, format="GIF")  # not shrunk: a GIF
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/attachment/new/")
    page.fill("#title", "太大的扫描件")
    page.set_input_files("#upload", str(big))
    page.click("input[type=submit][value='保存']")
    notice = page.inner_text(".form-notice-too-large")
    assert "超过 100 KB" in notice and "您填写的内容已保留" in notice
    assert page.url.endswith("/attachment/new/") and page.input_value("#title") == "太大的扫描件"
    page.screenshot(path=str(ARTIFACTS / "after-phone-too-large-in-form.png"), full_page=False)
    assert errors == [], errors


def test_a_draft_is_never_shown_to_another_account_on_the_same_phone(live_server, browser, townships):
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/attachment/new/")
    page.fill("#title", "张社工没保存的标题")
    page.wait_for_timeout(500)  # the draft is written as one types
    mine = _drafts(page)
    assert len(mine) == 1
    page.goto(f"{live_server}/logout")
    sign_in(page, live_server, "shegong2")
    page.goto(f"{live_server}/attachment/new/")
    page.wait_for_load_state("load")
    assert page.input_value("#title") == "" and page.locator(".form-notice-draft").count() == 0
    assert _drafts(page) == []  # the other account's draft is gone from the phone
    page.goto(f"{live_server}/logout")
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/attachment/new/")
    page.wait_for_load_state("load")
    assert page.input_value("#title") == ""
    assert errors == [], errors


def test_a_group_session_is_recorded_from_the_group_list_row(live_server, browser, townships):
    import datetime as dt

    from models.casework import GroupSeries
    from models.services import create_record

    for i in range(25):  # more groups than one page holds
        create_record(GroupSeries(title=f"成长小组{i:02d}", goal="增强自信", township=townships["东江街道"],
                                  members=["小明"], started_on=dt.datetime(2026, 3, 1) + dt.timedelta(days=i)), None)
    page, errors = open_page(browser, width=375)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/groupseries/")
    row = page.locator("tr", has_text="成长小组24")
    button = row.locator("a.record-session")
    assert button.bounding_box()["height"] >= 44
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state("networkidle")
    assert "记录第 1 节活动 · 成长小组24" in page.inner_text("body")
    assert errors == [], errors
