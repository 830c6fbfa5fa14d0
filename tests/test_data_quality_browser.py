"""The data-quality page and a merge review in headless Chromium, as the coordinator
(screenshots in test-artifacts/)."""

import pytest

from .test_browser import ARTIFACTS, browser, live_server, open_page, sign_in  # noqa: F401  (fixtures)
from .test_data_quality import OWN, PLANTS, clean, make_person  # noqa: F401  (the clean data fixture)

pytestmark = pytest.mark.browser


def test_the_coordinator_sees_the_checks_and_merges_two_archives(app, live_server, browser, clean,  # noqa: F811
                                                                  accounts, townships):
    import datetime as dt

    ARTIFACTS.mkdir(exist_ok=True)
    with app.app_context():
        for plant in PLANTS.values():
            plant(townships, accounts["staff"])
        make_person("child", "郑小雨", dt.date(2013, 3, 3), townships[OWN], accounts["staff"], phone="13900000001")
        make_person("child", "郑晓雨", dt.date(2013, 3, 3), townships[OWN], accounts["staff"], phone="13900000002")
    page, errors = open_page(browser)
    sign_in(page, live_server, "zhuguan")
    page.goto(f"{live_server}/data-quality/")
    page.wait_for_load_state("networkidle")
    table = page.inner_text("#quality-checks")
    assert "姓名同音或仅差一字" in table and "长期未探访" in table
    page.screenshot(path=str(ARTIFACTS / "coordinator-data-quality.png"), full_page=True)
    with page.expect_navigation():
        page.click("#check-similar_name .duplicate-group:has-text('郑小雨') a.fix-merge")
    page.wait_for_load_state("networkidle")
    assert "合并重复档案" in page.inner_text("body")
    page.check("input[name=take_phone][value=other]")
    page.fill("#reason", "同一人重复建档，已电话核实")
    page.screenshot(path=str(ARTIFACTS / "coordinator-merge-review.png"), full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('确认合并')")
    page.wait_for_load_state("networkidle")
    assert "被合并的档案已作废" in page.inner_text("body") and "13900000002" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "coordinator-after-merge.png"), full_page=True)
    assert errors == [], errors
