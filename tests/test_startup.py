"""Start-up has no side effects on the source tree: the message catalogs are
compiled at build time (make catalogs), and an app without them refuses to start
with a clear message instead of writing them."""

import shutil

import pytest

from admin_app import ConfigError
from views import i18n

from .conftest import make_app

ROOT = i18n.CATALOG_DIR.parent.parent
COMPILED = sorted(i18n.catalog_sources())


def _files() -> dict:
    return {p: p.stat().st_mtime_ns for folder in ("admin_app", "models", "views", "seeds")
            for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_building_an_app_writes_nothing_into_the_source_tree():
    before = _files()
    make_app()
    assert _files() == before


@pytest.mark.parametrize("missing", COMPILED, ids=[p.name for p in COMPILED])
def test_an_app_without_a_compiled_catalog_refuses_to_start_and_says_what_to_run(missing, tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(i18n.CATALOG_DIR, copy)
    removed = copy / missing.relative_to(i18n.CATALOG_DIR)
    removed.unlink()
    monkeypatch.setattr(i18n, "CATALOG_DIR", copy)
    with pytest.raises(ConfigError) as refused:
        make_app()
    assert missing.name in str(refused.value) and "make catalogs" in str(refused.value)
    assert not removed.exists()  # and it did not write it


def test_the_build_step_compiles_what_the_app_needs(tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(i18n.CATALOG_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "CATALOG_DIR", copy)
    assert len(i18n.stale_catalogs()) == len(COMPILED)
    i18n.compile_catalogs()
    assert i18n.stale_catalogs() == []
