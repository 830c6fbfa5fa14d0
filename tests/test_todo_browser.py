"""The to-do centre and its count in the navigation bar, in Chromium (screenshots in test-artifacts/)."""

import pytest

from .test_browser import ARTIFACTS, browser, live_server, open_page, sign_in  # noqa: F401  (fixtures)
from .test_todo import CASES

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username", ["shegong", "zhuguan"])
def test_the_to_do_centre_and_the_count_in_the_navigation_bar(live_server, browser, townships, accounts,  # noqa: F811
                                                              username):
    ARTIFACTS.mkdir(exist_ok=True)
    world = {"home": townships["东江街道"], "staff": accounts["staff"], "coordinator": accounts["coordinator"]}
    for make in CASES.values():
        make(world)
    page, errors = open_page(browser)
    sign_in(page, live_server, username)
    page.wait_for_selector("#todo-count")
    shown = int(page.inner_text("#todo-count"))
    with page.expect_navigation():
        page.click("#admin-navbar-collapse a[href$='/todo/']")
    page.wait_for_load_state("networkidle")
    assert page.locator(".todo-item").count() == shown > 0
    if username == "zhuguan":
        assert "张社工" in page.inner_text("#team-overdue")
    page.screenshot(path=str(ARTIFACTS / f"todo-{username}.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"todo-{username}-phone.png"), full_page=True)
    assert errors == [], errors
