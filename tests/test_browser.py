"""Drive the running app in headless Chromium (Debian's), as each role, at a
desktop and a phone width. Screenshots go to test-artifacts/ (git-ignored)."""

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

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


def open_page(browser, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
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
        for english in ("Create", "Save", "List", "Search", "Add Filter", "Failed"):
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
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "入户照片" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.screenshot(path=str(ARTIFACTS / "staff-phone-after-upload.png"), full_page=True)
    assert errors == [], errors
