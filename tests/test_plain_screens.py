"""Every page a role can reach shows people's language only: no raw codes, record ids,
JSON or Python reprs, no English words (names of products such as Excel aside:
tests/visible_text.ALLOWED_WORDS), no stock wording such as 20 项目; and no menu entry
answers with a refusal.

The pages come from the app's registry, per role: the menu the role is shown (read from
the page, in the browser), every create form the role may open and the page of one
record of every kind the role may read (a record per kind made by the generic factory of
test_view_matrix, then changed through the service layer as a person would, so that the
audit trail holds changes of lists, embedded records and references). One seeded app and
one browser serve every role. Codes are allowed only where a view shows them to the
role that maintains them (``code_columns``, e.g. 对象类别's code for the admin)."""

import contextlib
import re
import threading

import mongoengine
import pytest
from werkzeug.serving import make_server

from admin_app.accounts import create_user
from models.audit import AuditEntry
from models.errors import DomainError
from models.reference import Township
from models.services import snapshot, update_record
from models.users import ROLES, User, allowed
from models.visits import add_photo
from seeds.demo import generate_demo_data
from seeds.loader import load_reference_data
from views.base import SecureModelView, SecureView

from . import test_view_matrix as matrix
from .conftest import PASSWORD, login, make_app, on_ferretdb
from .helpers import png_bytes
from .visible_text import LATIN_WORD, findings, visible_text

OWN = matrix.OWN
USERNAMES = {"admin": "admin1", "coordinator": "zhuguan", "manager": "guanli", "staff": "shegong"}
NAMES = {"admin": "王管理", "coordinator": "李主管", "manager": "赵局长", "staff": "张社工"}


class PlainFactory(matrix.Factory):
    """The matrix's factory with Chinese-only markers (its own carry the kind's class name)."""

    def _values(self, cls, township_name):
        values = super()._values(cls, township_name)
        marker = matrix.MARKERS[township_name]
        return {k: re.sub("[A-Za-z]", "", v) if isinstance(v, str) and marker in v else v for k, v in values.items()}


def _embedded_entry(factory, document_type):
    """One entry of an embedded list as a form would fill it: its required fields, its
    choice fields (and lists of choices) with their first choices, yes/no fields ticked."""
    values = {}
    for name, field in document_type._fields.items():
        inner = field.field if isinstance(field, mongoengine.ListField) else field
        choices = getattr(inner, "choices", None)
        if choices:
            codes = [c[0] if isinstance(c, (tuple, list)) else c for c in choices][:2]
            values[name] = codes if isinstance(field, mongoengine.ListField) else codes[0]
        elif isinstance(field, mongoengine.BooleanField):
            values[name] = True
        elif field.required or isinstance(field, (mongoengine.ReferenceField, mongoengine.StringField)):
            values[name] = factory._value(field, OWN) if not isinstance(field, mongoengine.StringField) else "已处理"
    return document_type(**{k: v for k, v in values.items() if v is not None})


def _holds_files(document_type) -> bool:
    return any(isinstance(f, mongoengine.FileField) for f in document_type._fields.values())


def _change_as_a_person(factory, record, actor):
    """Add an entry to each embedded list of ``record`` (a photo as the phone sends one)
    and save it as ``actor``: the audit trail then holds how such a change is written."""
    before = snapshot(record)
    changed = False
    for name, field in type(record)._fields.items():
        if not (isinstance(field, mongoengine.ListField) and isinstance(field.field, mongoengine.EmbeddedDocumentField)):
            continue
        if name == "photos":
            add_photo(record, png_bytes(size=(60, 40)), "入户照片.png", 10_000_000)
            changed = True
            continue
        if _holds_files(field.field.document_type):
            continue
        try:
            entry = _embedded_entry(factory, field.field.document_type)
        except (mongoengine.ValidationError, TypeError, ValueError):
            continue
        setattr(record, name, [*(getattr(record, name) or []), entry])
        changed = True
    if changed:
        with contextlib.suppress(DomainError):  # a rule wants more than the generic entry: left as made
            update_record(record, before, record.version or 1, actor)


@pytest.fixture(scope="module")
def world():
    app = make_app()
    with app.app_context():
        load_reference_data()
        townships = {t.name: t for t in Township.objects}
        users = {role: create_user(USERNAMES[role], role, NAMES[role], PASSWORD,
                                   townships=[townships[OWN]] if role == "staff" else None)[0]
                 for role, _label in ROLES}
        generate_demo_data(40)
        factory = PlainFactory(townships)
        views = [v for v in app.extensions["admin"][0]._views if isinstance(v, SecureModelView)]
        records = {}
        for view in sorted(views, key=lambda v: v.model is AuditEntry):  # the trail once the records are written
            records[view.endpoint] = factory.record(view.model, OWN)
        for record in list(factory.made.values()):
            if record is not None and "version" in type(record)._fields:
                _change_as_a_person(factory, record, users["staff"])
        # records written by people keep their login names: every page must show the person instead
        for view in views:
            if "created_by" in view.model._fields:
                view.model._get_collection().update_many({}, {"$set": {"created_by": USERNAMES["staff"],
                                                                          "updated_by": USERNAMES["coordinator"]}})
        records["audit"] = AuditEntry.objects(township=townships[OWN].pk, action="update").order_by("-at").first()
        allowed_codes = {role: _codes_shown(views, role) for role, _label in ROLES}
        logins = _account_logins()
    yield {"app": app, "views": views, "records": records, "allowed": allowed_codes,
           "admin": app.extensions["admin"][0], "account_logins": logins}
    if on_ferretdb():
        from mongoengine.connection import get_connection

        get_connection().drop_database(app.config["MONGODB_DB"])


def _codes_shown(views, role) -> dict[str, frozenset]:
    """{view url: the Latin words its code columns hold} for the views that show codes to ``role``."""
    shown = {}
    for view in views:
        if view.shows_codes_to(role):
            words = set()
            for record in view.model.objects.only(*view.code_columns):
                for column in view.code_columns:
                    words.update(LATIN_WORD.findall(str(getattr(record, column, "") or "")))
            shown[view.url] = frozenset(words)
    return shown


def _allowed_on(world, role, url) -> frozenset:
    for prefix, words in world["allowed"][role].items():
        if url.startswith(prefix + "/"):
            return words
    if url.startswith("/audit/"):
        return world["account_logins"]
    if url.startswith("/api-guide/"):  # the data interface's names, for the bureau's programmers
        from views.api import guide_words

        return guide_words()
    return frozenset()


def _account_logins() -> frozenset:
    """The login names of accounts that did nothing: the trail shows one as the value of a
    new account's 用户名; a login name standing for who did something is a finding."""
    actors = set(AuditEntry.objects.distinct("actor_name"))
    return frozenset(u.username for u in User.objects.only("username") if u.username not in actors)


def _problems(world, role, url, text, per_page: int = 3) -> list[str]:
    """What a page shows that is not for people to read (the first few of each page, and how many)."""
    found = findings(text, _allowed_on(world, role, url))
    more = [f"{role} {url} ……共 {len(found)} 处"] if len(found) > per_page else []
    return [f"{role} {url} {item}" for item in found[:per_page]] + more


def record_pages(world, role) -> list[str]:
    """Every create form and one record's page of every kind ``role`` may open."""
    urls = []
    for view in world["views"]:
        if not allowed(role, view.area, "view"):
            continue
        if view.creatable and allowed(role, view.area, "create"):
            urls.append(f"{view.url}/new/")
        record = world["records"].get(view.endpoint)
        if view.can_view_details and allowed(role, view.area, "details") and record is not None:
            urls.append(f"{view.url}/details/?id={record.pk}")
    return urls


def test_every_form_and_record_page_reads_as_plain_chinese(world):
    """The create forms and record pages of every kind, for every role (read as a browser
    shows them: scripts and hidden parts left out)."""
    problems, seen = [], 0
    for role, _label in ROLES:
        client = world["app"].test_client()
        assert login(client, USERNAMES[role]).status_code == 302
        for url in record_pages(world, role):
            response = client.get(url)
            while response.status_code == 302 and "/details/" in response.headers.get("Location", ""):
                url = response.headers["Location"]  # the all-archives view hands a record to its kind's view
                response = client.get(url)
            assert response.status_code == 200, f"{role} {url}: {response.status_code}"
            problems += _problems(world, role, url, visible_text(response.get_data(as_text=True)))
            seen += 1
    assert seen > 150, seen  # every kind, every role: a registry that lost its views would pass empty
    assert not problems, f"{len(problems)} 处：\n" + "\n".join(problems[:80])


def test_the_audit_trail_names_people_and_labels_values(world):
    """The change made as 张社工 (an embedded record added) reads as labels: no reprs, no
    login names, no file checksums, no ids; the coordinator reads it by the person's name."""
    client = world["app"].test_client()
    assert login(client, USERNAMES["coordinator"]).status_code == 302
    text = visible_text(client.get("/audit/?flt0_action_equals=update&page_size=100").get_data(as_text=True))
    assert NAMES["staff"] in text
    assert not re.search(r"\b(shegong|zhuguan)\b", text)
    found = findings(text, world["account_logins"])
    assert not found, found[:10]


def test_every_menu_entry_is_reachable_and_plain_for_every_role(world):
    """In the browser, each role's menu as shown: every entry opens (no 4xx), and its page's
    visible text is plain Chinese. Every view the role may read is in its menu."""
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM, FLAGS, sign_in

    server = make_server("127.0.0.1", 0, world["app"], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    problems, visited = [], 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for role, _label in ROLES:
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
                page = context.new_page()
                sign_in(page, base, USERNAMES[role])
                links = page.eval_on_selector_all(
                    "#admin-navbar-collapse a[href]",
                    "els => els.map(e => e.getAttribute('href')).filter(h => h && h.startsWith('/'))")
                links = [link for link in dict.fromkeys(links) if not link.startswith("/logout")]
                missing = [v.name for v in _readable_views(world, role) if f"{v.url}/" not in links
                           and v.url not in links]
                if missing:
                    problems.append(f"{role} 菜单中缺少可以打开的页面：{missing}")
                for link in ["/", *links]:
                    # "load": the stylesheets are applied (before it a button can show the theme's own colour)
                    response = page.goto(base + link, wait_until="load")
                    visited += 1
                    if response is None or response.status >= 400:
                        problems.append(f"{role} 菜单 {link} 打开得到 {response.status if response else '无响应'}")
                        continue
                    problems += _problems(world, role, link, page.inner_text("body"))
                    problems += [f"{role} {link} {p}" for p in page.evaluate(PAGE_CHECKS)]
                context.close()
            browser.close()
    finally:
        server.shutdown()
    assert visited > 100, visited
    assert not problems, f"{len(problems)} 处：\n" + "\n".join(problems[:80])


#: What a page shows that the eye stumbles on: a button whose text is lighter than 4.5:1 against
#: its background (WCAG AA), a grid cell of two or more characters laid out one per line, a page
#: (other than the start page) without its breadcrumb.
PAGE_CHECKS = r"""() => {
  const found = [];
  const rgb = c => (c.match(/[0-9.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const secondary = '.btn-secondary, .btn-outline-secondary, .btn-light, .btn-outline-light, .btn-link';
  for (const b of document.querySelectorAll(secondary)) {
    if (!b.offsetParent || b.disabled || b.classList.contains('disabled')) continue;
    const text = lum(rgb(getComputedStyle(b).color).slice(0, 3)), back = lum(background(b));
    const ratio = (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05);
    if (ratio < 4.5) found.push(`按钮“${(b.innerText || b.value || '').trim()}”对比度 ${ratio.toFixed(1)}:1`);
  }
  const cells = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT,
      {acceptNode: n => n.parentElement.closest('td') ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
  for (let node; (node = cells.nextNode());) {
    const text = node.textContent.trim();
    if (text.length < 2 || text.length > 12 || /\s/.test(text) || !node.parentElement.offsetParent) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (lines.size >= text.length) found.push(`表格中“${text}”一字一行`);
  }
  if (location.pathname !== '/' && !document.querySelector('#breadcrumb')) found.push('没有面包屑导航');
  return found;
}"""


test_every_menu_entry_is_reachable_and_plain_for_every_role = pytest.mark.browser(
    test_every_menu_entry_is_reachable_and_plain_for_every_role)


def _readable_views(world, role):
    """The views (model lists and pages of their own) ``role`` may open, except the pages that
    serve a file to a form and are never a menu entry (``is_visible`` always false)."""
    found = []
    for view in world["admin"]._views:
        if not view.is_visible():
            continue
        model_view = isinstance(view, SecureModelView) and allowed(role, view.area, "view")
        if model_view or isinstance(view, SecureView) and allowed(role, view.area, view.action_needed):
            found.append(view)
    return found


MENU_HREF = re.compile(r'<a class="(?:dropdown-item|nav-link)[^"]*" href="(/[^"]*)"')


def _menu_universe(world) -> set[str]:
    """The address of every page the menu can offer: each view's first page and each menu link."""
    from views.registry import ViewLink

    admin = world["admin"]
    with world["app"].test_request_context():
        from flask import url_for

        urls = {url_for(f"{v.endpoint}.{'index_view' if hasattr(v, 'index_view') else 'index'}")
                for v in admin._views if v is not admin.index_view}
        links = [child for item in admin._menu for child in item._children if isinstance(child, ViewLink)]
        urls |= {url_for(link.endpoint) for link in links if link.endpoint != "auth.logout"}
    return urls


def test_the_menu_offers_exactly_the_pages_that_open(world):
    """For every role, a page is in the menu exactly when it opens for that role: nothing in
    the menu answers 403, nothing that opens is missing from it (the one check: the view's)."""
    problems = []
    universe = _menu_universe(world)
    for role, _label in ROLES:
        client = world["app"].test_client()
        assert login(client, USERNAMES[role]).status_code == 302
        home = client.get("/").get_data(as_text=True)
        shown = set(MENU_HREF.findall(home[:home.index("</nav>")]))
        for url in sorted(universe):
            status = client.get(url).status_code
            if (url in shown) != (status < 400):
                problems.append(f"{role} {url}：{'在菜单中' if url in shown else '不在菜单中'}，打开得到 {status}")
    assert len(universe) > 50, universe
    assert not problems, "\n".join(problems)


def test_every_rule_set_reads_as_tables_of_plain_chinese(world):
    """Each business rule set (models.rules.RULE_SETS) as its page shows it: tables with
    rows, every cell free of codes and JSON (as seeded, whatever the JSON holds)."""
    from models.rule_tables import rule_tables
    from models.rules import RULE_SETS, RuleSet

    with world["app"].app_context():
        for key in RULE_SETS:
            sections = rule_tables(RuleSet.objects(key=key).get())
            assert sections and all(s.rows for s in sections), key
            cells = "\n".join(" ".join([s.title, *s.headers, s.note, *(c for row in s.rows for c in row)])
                              for s in sections)
            assert not findings(cells), (key, findings(cells)[:5])
