"""The project's own message catalogs, compiled at build time (``make catalogs``,
which ``make run`` and ``make test`` run: ``pybabel compile`` for the forms
catalog, ``python -m views.i18n`` for Flask-Admin's catalog merged with the
project's corrections). The app only reads them: ``stale_catalogs`` names the
ones missing or older than their source, and the factory refuses to start
without them."""

import os
import tempfile
from pathlib import Path

import flask_admin
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask_admin.babel import domain

CATALOG_DIR = Path(__file__).resolve().parent.parent / "admin_app" / "translations"
LOCALE = "zh_Hans_CN"
DOMAIN = "forms"


def catalog_sources() -> dict[Path, list[Path]]:
    """Each compiled catalog and the files it is compiled from."""
    shipped = Path(flask_admin.__file__).parent / "translations" / LOCALE / "LC_MESSAGES" / "admin.po"
    folder = CATALOG_DIR / LOCALE / "LC_MESSAGES"
    sources = {folder / "admin.mo": [p for p in (shipped, folder / "admin-extra.po") if p.exists()]}
    for po_path in CATALOG_DIR.glob("*/LC_MESSAGES/forms.po"):
        sources[po_path.with_suffix(".mo")] = [po_path]
    return sources


def stale_catalogs() -> list[Path]:
    """The compiled catalogs that are missing or older than a file they are compiled from."""
    return [target for target, sources in catalog_sources().items()
            if not target.exists() or any(target.stat().st_mtime < p.stat().st_mtime for p in sources)]


def compile_catalogs() -> None:
    """The build step: compile every catalog that is missing or out of date."""
    compile_admin_catalog()
    for po_path in CATALOG_DIR.glob("*/LC_MESSAGES/forms.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with open(po_path, "rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        _write(mo_path, catalog)


_project = None


def project_translations() -> Translations:
    global _project
    if _project is None:
        _project = Translations.load(str(CATALOG_DIR), [LOCALE], domain=DOMAIN)
    return _project


def compile_admin_catalog() -> None:
    """Compile Flask-Admin's Chinese catalog (its shipped .mo lags its .po)
    together with the project's additions into the project's admin.mo."""
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
    _write(target, catalog)


def _write(path: Path, catalog) -> None:
    """Write the compiled catalog beside its place, then move it there: a process reading it
    at that moment sees the old file or the new one, never half of one."""
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp", delete=False) as handle:
        write_mo(handle, catalog)
    os.replace(handle.name, path)


def use_project_admin_catalog() -> None:
    """Make Flask-Admin read its messages from the project's admin.mo only. Flask-Babel
    merges the catalogs of every directory in turn, the later overriding the earlier, and
    Flask-Admin puts its own shipped catalog last: every text the project corrects
    (选中的 → 批量操作) came back. The project's admin.mo holds Flask-Admin's whole catalog
    with the corrections (``compile_admin_catalog``)."""
    domain._translation_directories = [str(CATALOG_DIR)]



if __name__ == "__main__":
    compile_catalogs()
