"""The project's own message catalog, compiled at start-up when its .mo file is
missing or older than the .po, and placed in front of WTForms' catalog."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

CATALOG_DIR = Path(__file__).resolve().parent.parent / "admin_app" / "translations"
LOCALE = "zh_Hans_CN"
DOMAIN = "forms"


def compile_catalogs() -> None:
    compile_admin_catalog()
    for po_path in CATALOG_DIR.glob("*/LC_MESSAGES/forms.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with open(po_path, "rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with open(mo_path, "wb") as handle:
            write_mo(handle, catalog)


_project = None


def project_translations() -> Translations:
    global _project
    if _project is None:
        compile_catalogs()
        _project = Translations.load(str(CATALOG_DIR), [LOCALE], domain=DOMAIN)
    return _project


def compile_admin_catalog() -> None:
    """Compile Flask-Admin's Chinese catalog (its shipped .mo lags its .po)
    together with the project's additions into the project's admin.mo."""
    import flask_admin

    shipped = Path(flask_admin.__file__).parent / "translations" / LOCALE / "LC_MESSAGES" / "admin.po"
    extra = CATALOG_DIR / LOCALE / "LC_MESSAGES" / "admin-extra.po"
    target = CATALOG_DIR / LOCALE / "LC_MESSAGES" / "admin.mo"
    sources = [p for p in (shipped, extra) if p.exists()]
    if target.exists() and all(target.stat().st_mtime >= p.stat().st_mtime for p in sources):
        return
    with open(shipped, "rb") as handle:
        catalog = read_po(handle, locale=LOCALE)
    if extra.exists():
        with open(extra, "rb") as handle:
            for message in read_po(handle, locale=LOCALE):
                if message.id:
                    # setting an id the catalog has keeps its old text (babel merges): replace it
                    catalog.delete(message.id, message.context)
                    catalog[message.id] = message
    with open(target, "wb") as handle:
        write_mo(handle, catalog)


def use_project_admin_catalog() -> None:
    """Make Flask-Admin read its messages from the project's admin.mo only. Flask-Babel
    merges the catalogs of every directory in turn, the later overriding the earlier, and
    Flask-Admin puts its own shipped catalog last: every text the project corrects
    (选中的 → 批量操作) came back. The project's admin.mo holds Flask-Admin's whole catalog
    with the corrections (``compile_admin_catalog``)."""
    from flask_admin.babel import domain

    domain._translation_directories = [str(CATALOG_DIR)]

