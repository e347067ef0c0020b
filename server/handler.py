"""Django's ASGI handler with the request's synchronous work in one thread hop.

Django's own ASGIHandler loads the middleware in async mode; with sync-only
middleware (ours, WhiteNoise's) that is a mixed chain in which every middleware
step and the view cross between the event loop and a thread, about 16 crossings
per request, and it starts a new OS thread per request (a fresh
ThreadSensitiveContext). Here the middleware is loaded in sync mode, as under
WSGI, and one call on a pooled thread (server.threads) runs, in order:
request_started, the whole middleware chain and view, reading a synchronous
streaming body (a static file), and closing the response (request_finished:
Django's close_old_connections). The event loop reads the request body before it
and sends the response after it.

Only a response streaming from an asynchronous iterator needs a second call, to
close it after it is sent; it runs on the same thread, as does any
thread-sensitive sync_to_async the request makes (the request's
ThreadSensitiveContext is bound to its lane of the pool). A client that
disconnects does not interrupt the sync work (Django could not either); its
response is dropped by the server.
"""

import asyncio

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

from server.threads import request_threads


async def _parts(parts):
    for part in parts:
        yield part


class PooledASGIHandler(ASGIHandler):
    def __init__(self):
        # ASGIHandler.__init__ would load the middleware in async mode.
        self.load_middleware(is_async=False)
        self._respond = sync_to_async(self.respond, thread_sensitive=True)
        self._close = sync_to_async(self.close_response, thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        async with ThreadSensitiveContext(executor=request_threads().lane()):
            try:
                response = await self._respond(scope, body_file)
                if response.closed:
                    await self.send_response(response, send)
                else:
                    await self.send_streaming(response, receive, send)
                    await self._close(response)
            finally:
                body_file.close()

    def respond(self, scope, body_file):
        """Everything synchronous of one request, on one thread: a response ready to send."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming and response.is_async:
            return response  # left open: closed after it is sent
        if response.streaming:
            # Read here rather than on the loop (Django reads a sync iterator to a list too).
            parts = list(response.streaming_content)
            self.close_response(response)
            response.streaming_content = _parts(parts)
        else:
            self.close_response(response)
        return response

    @staticmethod
    def close_response(response):
        response.close()

    async def send_streaming(self, response, receive, send):
        """Send an async-iterator body until it ends or the client goes away."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, sending):
            if not task.done():
                task.cancel()
            try:
                await task
            except (asyncio.CancelledError, RequestAborted):
                pass

