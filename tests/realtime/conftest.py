from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from django.conf import settings

from tests.conftest import token_for
from tests.realtime.clients import WAIT, NodeListener, SocketIOListener, WebSocketListener


def forge_token(user, *, expired=False, key=None):
    """An access token signed with the server's key (or another), optionally expired."""
    moment = datetime.now(UTC)
    exp = moment - timedelta(minutes=1) if expired else moment + timedelta(minutes=5)
    claims = {"token_type": "access", "exp": exp, "iat": moment - timedelta(minutes=10), "jti": "forged", "user_id": str(user.pk)}
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.fixture
def publish_event(create_event):
    """A published event made through the API, as `client` (default: the organizer)."""

    def publish(client=None, capacity=100, price="25.00", title="Jazz Night"):
        return create_event(
            client=client, publish=True, capacity=capacity, price=price, title=title, description=None, tags=None
        )

    return publish


def post_as(server, user, path, body=None, status=200):
    """POST through a real server process as `user`; assert the status; return the JSON."""
    response = httpx.post(
        f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {token_for(user)}"}, timeout=WAIT
    )
    assert response.status_code == status, response.text
    return response.json()


def book(server, user, event_id, qty=1):
    return post_as(server, user, "/bookings", {"eventId": event_id, "qty": qty}, status=201)


@pytest.fixture
def listeners():
    """Open clients; closes them all at the end of the test."""
    opened = []

    def track(client):
        opened.append(client)
        return client

    track.socketio = lambda server, user=None, token=None, **kw: track(
        SocketIOListener(server.url, token or token_for(user), **kw)
    ).connect()
    track.websocket = lambda server, user=None, token=None, **kw: track(
        WebSocketListener(server.ws_url, token or token_for(user), **kw)
    )
    track.node = lambda server, user=None, token=None, **kw: track(NodeListener(server.url, token or token_for(user), **kw))
    yield track
    for client in opened:
        client.close()
