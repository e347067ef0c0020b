"""What an attacker or a careless client probing a running server finds:
deep nesting, odd token claims, unknown routes, reason phrases, one log record per
error, chunked bodies. All over HTTP (or WebSocket) against real daphne processes."""

import base64
import json
import socket
import time
from pathlib import Path
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from django.conf import settings
from websockets.sync.client import connect as ws_connect

from tests.helpers import event_body, token_for
from tests.realtime.clients import WAIT

DEEP = 5000


def log_mark(server):
    return len(Path(server.log.name).read_bytes())


def log_since(server, mark):
    return Path(server.log.name).read_bytes()[mark:].decode(errors="replace")


def deep_bodies():
    return {
        "arrays": "[" * DEEP + "]" * DEEP,
        "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
        "mixed": '{"email": ' + '[{"x":' * DEEP + "1" + "}]" * DEEP + "}",
    }


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str)
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def raw_request(url, request):
    """Send bytes as they are; return (status line, headers, body) of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=WAIT) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        while chunk := sock.recv(65536):  # Connection: close
            body += chunk
    if headers.get("transfer-encoding") == "chunked":
        decoded = b""
        while True:
            size, _, rest = body.partition(b"\r\n")
            if int(size, 16) == 0:
                break
            decoded, body = decoded + rest[: int(size, 16)], rest[int(size, 16) + 2 :]
        body = decoded
    return lines[0], headers, body


def sign(claims, header=None):
    return jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256", headers=header)


def claims_for(user, **overrides):
    moment = datetime.now(UTC)
    claims = {
        "token_type": "access",
        "exp": moment + timedelta(minutes=5),
        "iat": moment,
        "jti": "probe",
        "user_id": str(user.pk),
        "role": user.role,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not ...}


# 1. Deep nesting ------------------------------------------------------------


def body_endpoints(server):
    """Every (method, path) of the published schema that takes a body, ids filled in."""
    document = httpx.get(f"{server.url}/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                found.append((method.upper(), path))
    return found


@pytest.mark.parametrize("shape", sorted(deep_bodies()))
def test_deep_nesting_is_400_on_every_endpoint_that_takes_a_body(server, organizer, customer, create_event, shape):
    event = create_event(publish=True)
    mark = log_mark(server)
    endpoints = body_endpoints(server)
    assert ("POST", "/login") in endpoints and ("POST", "/events") in endpoints
    checked = 0
    for method, path in endpoints:
        concrete = path.replace("{event_id}", event["id"]).replace("{id}", event["id"])
        for user in (organizer, customer):
            response = httpx.request(
                method,
                f"{server.url}{concrete}",
                content=deep_bodies()[shape],
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token_for(user)}"},
                timeout=WAIT,
            )
            if response.status_code in (403, 405):
                continue  # the role may not call it: refused before the body is read
            error = assert_error_shape(response, 400, "parse_error")
            assert "nested" in error["message"]
            checked += 1
    assert checked >= 6
    assert "Traceback" not in log_since(server, mark)


def test_deep_nesting_over_the_websocket_is_a_bad_message(server):
    mark = log_mark(server)
    with ws_connect(f"{server.ws_url}/ws/notifications/", open_timeout=WAIT) as ws:
        ws.send(json.dumps({"type": "auth", "token": "x"})[:-1] + ', "extra": ' + "[" * DEEP + "]" * DEEP + "}")
        error = json.loads(ws.recv(timeout=WAIT))
        assert error["data"]["code"] == "bad_message"
        with pytest.raises(Exception):
            ws.recv(timeout=WAIT)
        assert ws.close_code == 4400
    assert "Traceback" not in log_since(server, mark)


def test_deep_nesting_over_socketio_is_refused_without_a_traceback(server):
    mark = log_mark(server)
    with ws_connect(f"{server.ws_url}/socket.io/?EIO=4&transport=websocket", open_timeout=WAIT) as ws:
        assert ws.recv(timeout=WAIT).startswith("0{")
        ws.send("40" + "[" * DEEP + "]" * DEEP)
        with pytest.raises(Exception):
            while True:  # the server ignores it or drops the connection
                ws.recv(timeout=3)
    time.sleep(0.5)
    assert "Traceback" not in log_since(server, mark) and "RecursionError" not in log_since(server, mark)


# 2. Validly signed tokens with odd claims -----------------------------------

ODD_CLAIMS = {
    "user_id object": {"user_id": {"$ne": None}},
    "user_id list": {"user_id": ["x"]},
    "user_id number": {"user_id": 12},
    "user_id not an ObjectId": {"user_id": "not-an-object-id"},
    "user_id null": {"user_id": None},
    "user_id missing": {"user_id": ...},
    "role unknown": {"role": "ADMIN"},
    "role object": {"role": {"x": 1}},
    "role null": {"role": None},
    "exp text": {"exp": "tomorrow"},
    "token_type list": {"token_type": ["access"]},
}


def odd_tokens(user, token_type="access"):
    def make(**overrides):
        return sign(claims_for(user, **{"token_type": token_type, **overrides}))

    tokens = {name: make(**overrides) for name, overrides in ODD_CLAIMS.items()}
    tokens["role not the user's"] = make(role="ORGANIZER" if user.role == "CUSTOMER" else "CUSTOMER")
    tokens["user gone"] = make(user_id="0123456789abcdef01234567")
    deep = base64.urlsafe_b64encode(("[" * DEEP + "]" * DEEP).encode()).decode().rstrip("=")
    tokens["header nested deep"] = f"{deep}.{make().split('.', 1)[1]}"
    return tokens


def test_validly_signed_token_with_odd_claims_is_401(server, customer):
    mark = log_mark(server)
    assert httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {sign(claims_for(customer))}"}).status_code == 200
    assert httpx.post(f"{server.url}/token/refresh", json={"refresh": sign(claims_for(customer, token_type="refresh"))}).status_code == 200
    for name, token in odd_tokens(customer).items():
        response = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=WAIT)
        assert response.status_code == 401, (name, response.text[:300])
        assert_error_shape(response, 401)
    for name, token in odd_tokens(customer, "refresh").items():
        refresh = httpx.post(f"{server.url}/token/refresh", json={"refresh": token}, timeout=WAIT)
        assert refresh.status_code == 401, (name, refresh.text[:300])
        assert_error_shape(refresh, 401)
    assert "Traceback" not in log_since(server, mark)


def test_validly_signed_token_with_odd_claims_is_closed_4401_on_the_websocket(server, customer):
    for name, token in odd_tokens(customer).items():
        with ws_connect(f"{server.ws_url}/ws/notifications/", open_timeout=WAIT) as ws:
            ws.send(json.dumps({"type": "auth", "token": token}))
            error = json.loads(ws.recv(timeout=WAIT))
            assert error["data"]["code"] == "token_invalid", (name, error)
            with pytest.raises(Exception):
                ws.recv(timeout=WAIT)
            assert ws.close_code == 4401, name


# 6. Unknown routes -------------------------------------------------------------


@pytest.mark.parametrize("debug", ["1", "0"])
def test_unknown_routes_answer_json_in_the_error_shape(start_server, debug):
    server = start_server(extra_env={"DEBUG": debug})
    probes = [("GET", "/events/"), ("GET", "/nope"), ("POST", "/nope"), ("DELETE", "/events/x/y/z"), ("PUT", "/login/"), ("PATCH", "/"), ("OPTIONS", "/nope")]
    for method, path in probes:
        response = httpx.request(method, f"{server.url}{path}", json={"a": 1} if method in ("POST", "PUT", "PATCH") else None)
        error = assert_error_shape(response, 404, "not_found")
        assert "<html" not in response.text.lower()
        if path == "/events/":
            assert "/events" in error["message"]


# 7. Reason phrases and one log record per error ---------------------------------


def test_status_lines_carry_the_standard_reason_phrase(start_server):
    server = start_server(extra_env={"LOGIN_RATE_PER_ADDRESS": "1/min"})
    body = b'{"email": "a@example.com", "password": "x"}'
    request = b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    statuses = [raw_request(server.url, request)[0] for _ in range(2)]
    assert statuses == ["HTTP/1.1 401 Unauthorized", "HTTP/1.1 429 Too Many Requests"]


def test_a_server_error_is_logged_once_with_its_request_id(start_server, customer, create_event):
    server = start_server(extra_env={"TESTING": "1", "BOOKING_FAULT_INJECTION": "after_reserve"})
    event_id = create_event(publish=True)["id"]
    mark = log_mark(server)
    headers = {"Authorization": f"Bearer {token_for(customer)}", "X-Request-ID": "probe-500-once"}
    response = httpx.post(f"{server.url}/bookings", json={"eventId": event_id, "qty": 1}, headers=headers, timeout=30)
    assert_error_shape(response, 500, "server_error")
    time.sleep(0.5)
    log = log_since(server, mark)
    assert log.count("Traceback") == 1, log
    assert log.count("Internal Server Error") + log.count("Unhandled error") == 1, log
    error_line = next(line for line in log.splitlines() if "Unhandled error" in line)
    assert "probe-500-once" in error_line


def test_an_unreachable_database_is_logged_once_with_its_request_id_and_no_traceback():
    from tests.servers import DaphneServer

    server = DaphneServer(extra_env={"MONGODB_URI": "mongodb://127.0.0.1:9/", "MONGODB_TIMEOUT_MS": "300"})
    server.start(healthy=False)
    try:
        response = httpx.get(f"{server.url}/events", headers={"X-Request-ID": "probe-db-down"}, timeout=30)
        assert_error_shape(response, 503, "database_unavailable")
        time.sleep(0.5)
        log = log_since(server, 0)
    finally:
        server.stop()
    assert "Traceback" not in log, log
    lines = [line for line in log.splitlines() if "Database unavailable" in line]
    assert len(lines) == 1 and "probe-db-down" in lines[0], log


# 8. Chunked bodies ------------------------------------------------------------------


def test_a_chunked_body_is_never_silently_dropped(server, customer):
    body = json.dumps({"email": customer.email, "password": "Wrong-Pass-000"}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    request = b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
    status, headers, answer = raw_request(server.url, request)
    assert status == "HTTP/1.1 411 Length Required", (status, answer)
    error = json.loads(answer)["error"]
    assert error["code"] == "length_required" and "Content-Length" in error["message"]

    def stream():
        yield json.dumps(event_body())[:10].encode()
        yield json.dumps(event_body())[10:].encode()

    streamed = httpx.post(f"{server.url}/events", content=stream(), headers={"Content-Type": "application/json", "Authorization": f"Bearer {token_for(customer)}"})
    assert_error_shape(streamed, 411, "length_required")



def test_an_unreachable_database_outside_the_api_views_is_a_503_logged_once_with_its_request_id():
    from tests.servers import DaphneServer

    server = DaphneServer(extra_env={"MONGODB_URI": "mongodb://127.0.0.1:9/", "MONGODB_TIMEOUT_MS": "300"})
    server.start(healthy=False)
    try:
        response = httpx.get(f"{server.url}/admin/", headers={"X-Request-ID": "probe-admin-db", "Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}, timeout=30)
        # shared.errors.server_error_view: Django's handler of uncaught errors answers it.
        assert_error_shape(response, 503, "database_unavailable")
        time.sleep(0.5)
        log = log_since(server, 0)
    finally:
        server.stop()
    lines = [line for line in log.splitlines() if "Database unavailable" in line]
    assert len(lines) == 1 and "probe-admin-db" in lines[0], log
