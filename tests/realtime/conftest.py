import pytest

from tests.helpers import token_for
from tests.realtime.clients import NodeListener, SocketIOListener, WebSocketListener


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
