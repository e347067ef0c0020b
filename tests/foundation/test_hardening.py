"""What an operator or a browser notices at the edges: ids, limits, headers, CORS, errors."""

import json
import logging
import os
import subprocess
import sys

import httpx
import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from shared.mongo import collection
from tests.servers import DaphneServer


def test_every_response_carries_a_request_id_and_echoes_a_good_one(api, caplog):
    with caplog.at_level(logging.INFO, logger="eventbooking.requests"):
        generated = api.get("/health")
        echoed = api.get("/health", HTTP_X_REQUEST_ID="trace-123")
        refused = api.get("/health", HTTP_X_REQUEST_ID="bad id with spaces\n")
    assert len(generated["X-Request-ID"]) == 32
    assert echoed["X-Request-ID"] == "trace-123"
    assert refused["X-Request-ID"] != "bad id with spaces\n" and len(refused["X-Request-ID"]) == 32
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "eventbooking.requests"]
    assert {"request_id": "trace-123", "method": "GET", "path": "/health", "status": 200}.items() <= lines[1].items()


def test_a_body_over_the_limit_is_413_and_nothing_is_written(api, settings):
    body = {"name": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10), "email": "big@example.com", "password": "Correct-Horse-42", "role": "CUSTOMER"}
    response = api.post("/register", body, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not User.objects.filter(email="big@example.com").exists()


def test_api_security_headers(api):
    response = api.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_cors_allows_only_configured_origins(start_server):
    server = start_server(extra_env={"CORS_ALLOWED_ORIGINS": "https://app.example"})
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = httpx.options(f"{server.url}/events", headers={"Origin": "https://app.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    other = httpx.options(f"{server.url}/events", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_no_stack_trace_leaks_when_the_database_is_down():
    server = DaphneServer(extra_env={"MONGODB_URI": "mongodb://127.0.0.1:9/", "MONGODB_TIMEOUT_MS": "300"})
    server.start(healthy=False)
    try:
        health = httpx.get(f"{server.url}/health", timeout=30)
        assert health.status_code == 503 and health.json()["database"].startswith("error")
        response = httpx.get(f"{server.url}/events", timeout=30)
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert response.json()["error"]["code"] == "database_unavailable"
        assert "Traceback" not in response.text and "pymongo" not in response.text
    finally:
        server.stop()


def test_schema_and_docs_are_served(api):
    schema = api.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert document["openapi"].startswith("3.")
    assert "/events" in document["paths"] and "/register" in document["paths"]
    docs = api.get("/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_createstaff_makes_a_staff_user_from_the_environment():
    env = dict(os.environ, STAFF_EMAIL="Boss@Example.com", STAFF_PASSWORD="Staff-Pass-2030", STAFF_NAME="Boss")
    from django.db import connection

    env["MONGODB_NAME"] = connection.settings_dict["NAME"]
    result = subprocess.run([sys.executable, "manage.py", "createstaff", "--no-input"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    staff = User.objects.get(email="boss@example.com")
    assert staff.is_staff and staff.is_superuser and staff.check_password("Staff-Pass-2030")
    again = subprocess.run([sys.executable, "manage.py", "createstaff", "--no-input"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "already exists" in again.stderr


@pytest.mark.parametrize("email", ["boss", "boss@", "@example.com", "boss@example", "bo ss@example.com"])
def test_createstaff_refuses_an_invalid_email(email, monkeypatch):
    monkeypatch.setenv("STAFF_EMAIL", email)
    monkeypatch.setenv("STAFF_PASSWORD", "Staff-Pass-2030")
    with pytest.raises(CommandError, match="is not a valid email address"):
        call_command("createstaff", "--no-input")
    assert collection("users").count_documents({}) == 0
