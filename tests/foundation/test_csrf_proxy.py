"""The admin's login form behind a TLS proxy, as the proxy forwards it to daphne:
Django's CSRF check compares the browser's Origin with the request's own origin
(https://<Host>) or CSRF_TRUSTED_ORIGINS. A wrong password is used so that a form
that got through the CSRF check answers the login page's own refusal."""

import re

import httpx

PUBLIC = "https://booking.example.com"
PROXIED = {"X-Forwarded-Proto": "https"}
REFUSED = "Please enter the correct email and password for a staff account."


def post_login(server, origin):
    form_page = httpx.get(f"{server.url}/admin/login/", headers=PROXIED, timeout=30)
    cookie = form_page.headers["set-cookie"]
    assert "Secure" in cookie  # behind TLS, the CSRF cookie never travels in clear
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text).group(1)
    return httpx.post(
        f"{server.url}/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": "nobody@example.com", "password": "Not-The-Password-1"},
        headers={**PROXIED, "Origin": origin, "Cookie": f"csrftoken={csrf_cookie}"},
        timeout=30,
    )


def test_behind_a_tls_proxy_the_login_form_passes_from_the_trusted_public_origin(start_server):
    server = start_server(extra_env={"BEHIND_TLS_PROXY": "1", "CSRF_TRUSTED_ORIGINS": PUBLIC})
    allowed = post_login(server, PUBLIC)
    assert allowed.status_code == 200 and REFUSED in allowed.text
    for origin in ("https://evil.example", "null", f"http://{PUBLIC.removeprefix('https://')}"):
        refused = post_login(server, origin)
        assert refused.status_code == 403 and "CSRF verification failed" in refused.text, origin


def test_without_csrf_trusted_origins_a_proxied_public_origin_is_refused(start_server):
    server = start_server(extra_env={"BEHIND_TLS_PROXY": "1"})
    assert post_login(server, PUBLIC).status_code == 403


def test_html_pages_keep_the_origin_the_api_sends_no_referrer(server):
    """`no-referrer` on the login page would make browsers post `Origin: null` (refused above)."""
    for path in ("/admin/login/", "/docs/"):
        assert httpx.get(f"{server.url}{path}", timeout=30).headers["referrer-policy"] == "same-origin", path
    for path in ("/health", "/events"):
        assert httpx.get(f"{server.url}{path}", timeout=30).headers["referrer-policy"] == "no-referrer", path
