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
    for po_path in CATALOG_DIR.glob("*/LC_MESSAGES/*.po"):
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
