"""The HTTP server's internals: the pooled ASGI handler and its request threads, the
middleware, reason phrases, log filters, and the health and API docs views."""
