"""Static files (the admin's CSS and JavaScript, Swagger UI's bundle) come from the
application itself under daphne, with DEBUG off (hashed names, compressed, cached for a
year) and on (the apps' own files, always fresh)."""

import re

import httpx

YEAR = "max-age=315360000"


def assets(server, page):
    """The /static/ URLs a page links to."""
    html = httpx.get(f"{server.url}{page}", timeout=30).text
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def fetch(server, path):
    response = httpx.get(f"{server.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert response.status_code == 200, (path, response.status_code)
    return response


def test_without_debug_the_pages_link_hashed_files_served_compressed_and_cached_for_a_year(server):
    css = [url for url in assets(server, "/admin/login/") if url.startswith("/static/admin/css/")]
    scripts = [url for url in assets(server, "/docs/") if "swagger-ui-bundle" in url]
    assert css and scripts
    for url in (css[0], scripts[0]):
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url  # the content's hash in the name
        response = fetch(server, url)
        assert response.headers["content-encoding"] == "gzip"
        assert YEAR in response.headers["cache-control"] and "immutable" in response.headers["cache-control"]
    assert fetch(server, css[0]).headers["content-type"].startswith("text/css")
    assert "SwaggerUIBundle" in fetch(server, scripts[0]).text
    # The unhashed name still answers, but may change: browsers must ask again soon.
    plain = fetch(server, "/static/admin/css/base.css")
    assert YEAR not in plain.headers["cache-control"]


def test_a_missing_static_file_is_a_404(server):
    assert httpx.get(f"{server.url}/static/admin/css/nope.css", timeout=30).status_code == 404


def test_with_debug_the_apps_files_are_served_fresh(start_server):
    server = start_server(extra_env={"DEBUG": "1"})
    css = [url for url in assets(server, "/admin/login/") if url.startswith("/static/admin/css/")]
    assert "/static/admin/css/base.css" in css
    response = fetch(server, "/static/admin/css/base.css")
    assert response.headers["content-type"].startswith("text/css")
    assert YEAR not in response.headers.get("cache-control", "")
    assert fetch(server, "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").text
