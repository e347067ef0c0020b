"""Who may listen: a connection without a valid access token of an active user
is refused at connect, with a stable code, on both transports."""

import json

import pytest
import socketio
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from accounts.services import user_issue_tokens
from shared.mongo import collection
from tests.helpers import forge_token, token_for
from tests.realtime.clients import WAIT, SocketIOListener, WebSocketListener

BAD_TOKENS = {
    "token_invalid": lambda user: forge_token(user, key="another-key-that-is-long-enough-for-hs256"),
    "token_expired": lambda user: forge_token(user, expired=True),
}


def test_socketio_without_token_is_refused(server):
    refusal = SocketIOListener(server.url, token=None).refused()
    message = "Send a JWT access token (from POST /login) to connect."
    assert refusal == {"message": message, "data": {"code": "token_missing", "message": message}}


@pytest.mark.parametrize("code", sorted(BAD_TOKENS))
def test_socketio_bad_token_is_refused(server, organizer, code):
    refusal = SocketIOListener(server.url, token=BAD_TOKENS[code](organizer)).refused()
    assert refusal["data"]["code"] == code


def test_socketio_refresh_token_is_not_an_access_token(server, organizer):
    refusal = SocketIOListener(server.url, token=user_issue_tokens(user=organizer)["refresh"]).refused()
    assert refusal["data"]["code"] == "token_invalid"


@pytest.mark.parametrize("transports", [("websocket",), ("polling", "websocket")])
def test_javascript_client_gets_the_reason_in_connect_error(server, organizer, listeners, transports):
    node = listeners.node(server, token=forge_token(organizer, expired=True), transports=transports)
    message = "The access token has expired: refresh it and connect again."
    assert node.wait_for("connect_error") == {"message": message, "data": {"code": "token_expired", "message": message}}


def test_forged_token_with_the_right_key_is_accepted(server, organizer, listeners):
    """The forging helper is right: only what the other tests change makes them fail."""
    listener = listeners.socketio(server, token=forge_token(organizer))
    assert listener.client.connected


def test_websocket_auth_message_without_token_is_refused(server):
    error, close_code = WebSocketListener(server.ws_url, None, via="message").refused()
    assert error == {"code": "token_missing", "message": "Send a JWT access token (from POST /login) to connect."}
    assert close_code == 4401


def test_websocket_silent_client_is_refused_after_the_auth_delay(server):
    with ws_connect(f"{server.ws_url}/ws/notifications/", open_timeout=WAIT) as ws:
        assert json.loads(ws.recv(WAIT))["data"]["code"] == "token_missing"
        with pytest.raises(ConnectionClosed):
            ws.recv(WAIT)
        assert ws.close_code == 4401


@pytest.mark.parametrize("via", ["query", "message"])
@pytest.mark.parametrize("code", sorted(BAD_TOKENS))
def test_websocket_bad_token_is_refused(server, organizer, code, via):
    error, close_code = WebSocketListener(server.ws_url, BAD_TOKENS[code](organizer), via=via).refused()
    assert error["code"] == code
    assert close_code == 4401


def test_websocket_first_message_must_be_auth(server):
    with ws_connect(f"{server.ws_url}/ws/notifications/", open_timeout=WAIT) as ws:
        ws.send("hello")
        assert json.loads(ws.recv(WAIT))["data"]["code"] == "bad_message"
        with pytest.raises(ConnectionClosed):
            ws.recv(WAIT)
        assert ws.close_code == 4400


def test_inactive_user_is_forbidden_on_both_transports(server, organizer):
    token = token_for(organizer)
    collection("users").update_one({"_id": organizer.pk}, {"$set": {"is_active": False}})
    assert SocketIOListener(server.url, token=token).refused()["data"]["code"] == "user_inactive"
    error, close_code = WebSocketListener(server.ws_url, token).refused()
    assert (error["code"], close_code) == ("user_inactive", 4403)


def test_deleted_user_token_is_invalid(server, organizer):
    token = token_for(organizer)
    collection("users").delete_one({"_id": organizer.pk})
    assert SocketIOListener(server.url, token=token).refused()["data"]["code"] == "token_invalid"
    error, close_code = WebSocketListener(server.ws_url, token).refused()
    assert (error["code"], close_code) == ("token_invalid", 4401)


def test_browser_origins_are_checked(start_server, organizer, listeners):
    server = start_server(extra_env={"CORS_ALLOWED_ORIGINS": "https://app.example"})
    token = token_for(organizer)
    error, close_code = WebSocketListener(server.ws_url, token, origin="https://evil.example").refused()
    assert (error["code"], close_code) == ("origin_not_allowed", 4403)
    with pytest.raises(socketio.exceptions.ConnectionError):
        SocketIOListener(server.url, token, headers={"Origin": "https://evil.example"}).connect()
    for origin in ("https://app.example", server.url):
        assert listeners.websocket(server, organizer, origin=origin).ready()["user_id"] == str(organizer.pk)
        assert listeners.socketio(server, organizer, headers={"Origin": origin}).client.connected


def test_valid_token_listens_on_both_transports(server, organizer, listeners):
    assert listeners.socketio(server, organizer).client.connected
    for via in ("query", "message"):
        ready = listeners.websocket(server, organizer, via=via).ready()
        assert ready == {"user_id": str(organizer.pk), "role": "ORGANIZER"}
