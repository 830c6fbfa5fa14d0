import pytest

from admin_app.config import ConfigError, load_settings


def test_production_without_secret_key_fails_fast():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(environ={"APP_MODE": "production", "MONGODB_URI": "mongodb://db.example:27017/mz"})


def test_production_without_database_fails_fast():
    with pytest.raises(ConfigError, match="MONGODB_URI"):
        load_settings(environ={"APP_MODE": "production", "SECRET_KEY": "k" * 40})


def test_malformed_mongodb_uri_gets_a_chinese_message():
    with pytest.raises(ConfigError, match="MONGODB_URI 格式不正确"):
        load_settings(environ={"MONGODB_URI": "mongo://nonsense"})


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="APP_MODE"):
        load_settings(environ={"APP_MODE": "staging"})


def test_local_mode_keeps_its_secret_key_across_restarts(tmp_path):
    first = load_settings(environ={"VAR_DIR": str(tmp_path)})
    second = load_settings(environ={"VAR_DIR": str(tmp_path)})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 32
    assert first["MONGODB_URI"] is None


def test_cookie_settings_are_safe():
    settings = load_settings(environ={"APP_MODE": "test"})
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_trusted_proxies_is_off_by_default_and_never_negative():
    assert load_settings(environ={"APP_MODE": "test"})["TRUSTED_PROXIES"] == 0
    assert load_settings(environ={"APP_MODE": "test", "TRUSTED_PROXIES": "2"})["TRUSTED_PROXIES"] == 2
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings(environ={"APP_MODE": "test", "TRUSTED_PROXIES": "-1"})


def test_web_processes_and_rule_cache_follow_the_settings():
    production = {"APP_MODE": "production", "MONGODB_URI": "mongodb://db.example:27017/mz", "SECRET_KEY": "k" * 40}
    settings = load_settings(environ=production)
    assert 1 <= settings["WEB_WORKERS"] <= 4 and settings["WEB_THREADS"] == 8
    # several processes: a rule edit reaches the others within seconds
    assert settings["RULES_CACHE_SECONDS"] == 2
    assert load_settings(environ={**production, "WEB_WORKERS": "3"})["WEB_WORKERS"] == 3
    for name, value in (("WEB_WORKERS", "0"), ("WEB_THREADS", "0"), ("RULES_CACHE_SECONDS", "-1"),
                        ("WEB_WORKERS", "两个")):
        with pytest.raises(ConfigError, match=name):
            load_settings(environ={**production, name: value})


def test_only_the_test_suite_hashes_passwords_with_another_method():
    from admin_app.config import ConfigError, load_settings

    assert load_settings({"APP_MODE": "demo"}, environ={})["PASSWORD_HASH_METHOD"] == "scrypt"
    with pytest.raises(ConfigError, match="scrypt"):
        load_settings({"APP_MODE": "demo", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"}, environ={})
