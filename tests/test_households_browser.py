"""The household page and the visit form's 同户待访成员 in Chromium (screenshots in test-artifacts/)."""

import pytest

from .test_browser import ARTIFACTS, browser, live_server, open_page, sign_in  # noqa: F401  (fixtures)
from .test_households import _household

pytestmark = pytest.mark.browser


def test_the_household_page_and_one_visit_for_two_due_members(live_server, browser, townships):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    household, child, elder = _household(townships)
    page, errors = open_page(browser)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/household/details/?id={household.pk}")
    page.wait_for_load_state("networkidle")
    rows = page.inner_text("#members")
    for text in ("周爷爷", "小周", "户主", "孙子女", "一级（高）", "老年人", "儿童"):
        assert text in rows, text
    page.screenshot(path=str(ARTIFACTS / "household-page.png"), full_page=True)
    with page.expect_navigation():
        page.click("a.household-visit")  # the visit form with both due members chosen
    page.wait_for_load_state("networkidle")
    chosen = page.inner_text("form")
    assert "周爷爷" in chosen and "小周" in chosen and "同户待访成员" not in chosen
    page.goto(f"{live_server}/visit/new/?person={child.pk}")  # from the child alone: the grandparent is offered
    page.wait_for_load_state("networkidle")
    offer = page.inner_text("form")
    assert "同户待访成员" in offer and "周爷爷" in offer
    page.set_viewport_size({"width": 375, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "household-phone-visit-form.png"), full_page=True)
    assert errors == [], errors
