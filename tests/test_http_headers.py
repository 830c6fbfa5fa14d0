"""Every response forbids framing by other sites and content-type guessing."""

import pytest

EXPECTED = {"X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff"}


def _check(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "frame-ancestors 'self'" in response.headers.get("Content-Security-Policy", "")


@pytest.mark.parametrize("url", ["/login", "/", "/no-such-page/", "/static/css/app.css", "/static/favicon.png"])
def test_anonymous_responses_carry_the_security_headers(client, url):
    _check(client.get(url))


@pytest.mark.parametrize("url", ["/", "/childarchive/", "/childarchive/new/", "/township/export/csv/",
                                 "/indicators/", "/budget/export/"])
def test_signed_in_pages_and_downloads_carry_the_security_headers(login_as, url):
    response = login_as("coordinator").get(url)
    assert response.status_code == 200
    _check(response)
