import re
from pathlib import Path

from .conftest import PASSWORD, csrf_token, make_app

ROOT = Path(__file__).resolve().parent.parent
REMOTE = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)
CSS_REMOTE = re.compile(r"url\(\s*['\"]?(https?:)?//", re.IGNORECASE)


def test_unreachable_database_gets_a_clear_chinese_page():
    app = make_app(MONGODB_URI="mongodb://127.0.0.1:9/unreachable", DB_TIMEOUT_MS=300)
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "admin", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "数据库暂时无法连接" in page and "Traceback" not in page


def test_missing_page_is_chinese(login_as):
    response = login_as("staff").get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_no_template_or_static_file_references_a_remote_url():
    offenders = []
    for folder in ("admin_app/templates", "admin_app/static", "views"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".html", ".js", ".css", ".py"):
                continue
            text = path.read_text(encoding="utf-8", errors="ignore")
            if REMOTE.search(text) or CSS_REMOTE.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_rendered_pages_load_nothing_from_the_internet(login_as):
    client = login_as("admin")
    for url in ("/", "/user/", "/user/new/", "/township/", "/audit/", "/attachment/", "/login"):
        page = client.get(url).get_data(as_text=True)
        assert not REMOTE.search(page), url
