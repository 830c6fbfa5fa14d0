"""The app on a phone (375 px wide), as a 社工 uses it in the field: every list a 社工 can open
(from the view registry) shows its rows as cards with no sideways scrolling and its row
actions in reach; every visible control on the phone pages (home and its menu, the visit,
patrol and group-session forms, every list) is a tap target of at least 44 × 44 px; ticking
未成年人 or a 危重/精神/传染 state on the patrol form shows the rule and ticks the call."""

import datetime as dt

import pytest
from flask import url_for

from models.patrols import Patrol, rescue_call_rules
from models.services import create_record

from .conftest import login
from .test_browser import ARTIFACTS, browser, live_server, open_page, sign_in  # noqa: F401  (fixtures)
from .test_view_matrix import OWN, Factory, model_views

pytestmark = pytest.mark.browser
WIDTH = 375

#: What a tap-size check leaves out, and why. Everything else interactive and visible is measured.
EXEMPT = {
    ".form-text a": "a link inside a sentence of a field's help text (WCAG 2.5.8: inline targets are exempt)",
}

#: Every visible interactive element, measured as the thing a finger hits: a control inside a
#: label is hit anywhere on its label; a select2 search field anywhere on its box. An element of at
#: most 1 × 1 px is an off-screen stand-in driven through a visible control (the select that
#: select2 replaces, its focus catcher, the photo input behind the 拍照 button).
MEASURE = """(exempt) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[tabindex]:not([tabindex="-1"])';
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const own = el.getBoundingClientRect();
    if (own.width <= 1 && own.height <= 1) continue;
    if (exempt.some((s) => el.matches(s))) continue;
    const target = (el.matches('input') && el.closest('.select2-container')) || el.closest('label') || el;
    const box = target.getBoundingClientRect();
    found.push({what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''),
                text: (el.innerText || el.value || el.name || '').trim().slice(0, 30),
                width: Math.round(box.width * 10) / 10, height: Math.round(box.height * 10) / 10});
  }
  return found;
}"""

LIST_LAYOUT = """() => {
  const viewport = document.documentElement.clientWidth;
  const rows = [...document.querySelectorAll('table.model-list tbody tr')].filter((tr) => !tr.querySelector('td[colspan]'));
  const wide = [...document.querySelectorAll('.table-responsive, table.model-list')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.className);
  return {
    pageWidth: document.documentElement.scrollWidth, viewport, wide,
    rows: rows.length,
    notCards: rows.filter((tr) => !['block', 'flex'].includes(getComputedStyle(tr).display)).length,
    unlabelled: rows.flatMap((tr) => [...tr.children]).filter((td) => !td.dataset.label).length,
    outside: rows.flatMap((tr) => [...tr.querySelectorAll('td, a, button')])
      .filter((el) => el.getBoundingClientRect().right > viewport + 1).map((el) => el.className || el.tagName),
    actions: rows.map((tr) => [...tr.querySelectorAll('.list-buttons-column a, .list-buttons-column button')]
      .filter((a) => a.checkVisibility()).length),
  };
}"""


def _small(page, url: str) -> list[str]:
    return [f"{url} {item['what']} “{item['text']}” {item['width']}×{item['height']}"
            for item in page.evaluate(MEASURE, list(EXEMPT)) if item["width"] < 44 or item["height"] < 44]


def _staff_lists(app, accounts) -> list[tuple[str, str]]:
    """(name, url) of every list view in the registry that the 社工 account opens."""
    client = app.test_client()
    assert login(client, accounts["staff"].username).status_code == 302
    with app.test_request_context():
        urls = [(view.name, url_for(f"{view.endpoint}.index_view")) for view in model_views(app)]
    return [(name, url) for name, url in urls if client.get(url).status_code == 200]


@pytest.fixture
def field_world(app, accounts, townships):
    """A record of every kind in the 社工's township, and more patrols than one page holds."""
    factory = Factory(townships)
    for view in model_views(app):
        factory.record(view.model, OWN)
    for day in range(21):
        create_record(Patrol(patrol_date=dt.datetime(2026, 3, 1) + dt.timedelta(days=day), start_time="19:00",
                             end_time="21:00", township=townships[OWN], places=f"七星路口{day}",
                             staff=[accounts["staff"]]), accounts["staff"])
    return factory


def test_every_staff_list_is_cards_and_every_phone_page_has_44px_taps(
        app, accounts, field_world, live_server, browser):  # noqa: F811  (the fixtures imported above)
    from models.archives import ChildArchive
    from models.casework import GroupSeries

    assert not [v.name for v in model_views(app) if v.column_editable_list], "卡片列表模板不支持列表内编辑"
    lists = _staff_lists(app, accounts)
    assert len(lists) >= 20, lists  # the 社工 opens most lists; a broken login would leave none
    page, errors = open_page(browser, width=WIDTH)
    sign_in(page, live_server, "shegong")
    problems, small = [], []
    for name, url in lists:
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        layout = page.evaluate(LIST_LAYOUT)
        if layout["pageWidth"] > WIDTH + 1 or layout["wide"] or layout["outside"]:
            problems.append(f"{name} {url}: 页面宽 {layout['pageWidth']}，超出 {layout['wide'] + layout['outside']}")
        if not layout["rows"]:
            problems.append(f"{name} {url}: 没有显示记录")
        if layout["notCards"] or layout["unlabelled"]:
            problems.append(f"{name} {url}: {layout['notCards']} 行不是卡片，{layout['unlabelled']} 格没有列名")
        if not all(layout["actions"]):
            problems.append(f"{name} {url}: 有记录行没有可点的操作")
        small += _small(page, url)
    page.goto(f"{live_server}/patrol/")
    assert page.locator(".pagination .page-link").count() >= 2  # the pager was measured too
    page.screenshot(path=str(ARTIFACTS / "phone-list-cards.png"), full_page=True)
    assert problems == [], "\n".join(problems)

    page.goto(live_server + "/")
    small += _small(page, "/")
    page.click(".navbar-toggler")
    page.wait_for_selector(".navbar-collapse.show")
    small += _small(page, "/ 菜单")
    page.click(".navbar-collapse .dropdown-toggle >> nth=0")
    page.wait_for_selector(".navbar-collapse .dropdown-menu.show")
    small += _small(page, "/ 菜单下拉")
    child = ChildArchive.objects(township=field_world.townships[OWN]).first()
    group = GroupSeries.objects(township=field_world.townships[OWN]).first()
    for url in (f"/visit/new/?person={child.pk}", f"/groupseries/session/?id={group.pk}", "/patrol/new/"):
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH + 1, url
        small += _small(page, url)
    page.click("text=添加 发现对象")
    page.check("[name='encounters-0-minor']")
    page.click("#s2id_township")  # an open select2 list is measured as well
    page.wait_for_selector(".select2-result-selectable")
    small += _small(page, "/patrol/new/ 发现对象")
    assert small == [], "\n".join(small)
    assert errors == [], errors


def test_ticking_a_minor_or_an_emergency_shows_the_rule_and_ticks_the_call(
        app, accounts, townships, live_server, browser):  # noqa: F811  (the fixtures imported above)
    rules = {rule["action"]: rule for rule in rescue_call_rules()}
    page, errors = open_page(browser, width=WIDTH)
    sign_in(page, live_server, "shegong")
    page.goto(f"{live_server}/patrol/new/")
    page.fill("#places", "火车站广场")
    page.fill("#start_time", "19:00")
    page.fill("#end_time", "21:00")
    page.click("text=添加 发现对象")
    row = page.locator("#encounters-0")
    hint = row.locator(".rescue-rule")
    police = row.locator("input[name='encounters-0-actions'][value='police_110']")
    medical = row.locator("input[name='encounters-0-actions'][value='medical_120']")
    assert not police.is_checked() and hint.count() in (0, 1) and not (hint.count() and hint.is_visible())
    row.locator("[name='encounters-0-description']").fill("男孩，约12岁")
    row.locator("[name='encounters-0-minor']").check()
    assert hint.is_visible() and rules["police_110"]["text"] in hint.inner_text()
    assert police.is_checked() and not medical.is_checked()
    police.uncheck()  # the worker may still untick it (and then has to write why)
    assert not police.is_checked()
    row.locator("[name='encounters-0-health_state']").select_option("critical")
    assert rules["medical_120"]["text"] in hint.inner_text() and medical.is_checked() and not police.is_checked()
    page.screenshot(path=str(ARTIFACTS / "phone-patrol-rule.png"), full_page=True)
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "须记录“报警110/移交公安”" in body  # the save holds to the same rule the hint showed
    assert Patrol.objects.count() == 0
    row = page.locator("#encounters-0")
    assert row.locator(".rescue-rule").is_visible()  # shown again with what was typed
    assert not row.locator("input[value='police_110']").is_checked()  # and the worker's untick kept
    row.locator("input[value='police_110']").check()
    with page.expect_navigation():
        page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in page.inner_text("body"), page.inner_text("body")[:500]
    saved = Patrol.objects.first()
    assert set(saved.encounters[0].actions) == {"police_110", "medical_120"} and saved.encounters[0].minor
    assert errors == [], errors
