"""A real HTTP receiver on 127.0.0.1 for webhook tests: each path answers its way.

/ok 200, /fail 500, /gone 410, /redirect 302 to /ok, /hang never answers (until the
test ends), /close closes the connection without an answer, /slow answers 200 after
`slow_seconds`. Every request that arrived is kept (path, headers, body), also those
it never answered."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, slow_seconds=0.3):
        self.requests = []  # (path, headers dict, body bytes, arrival monotonic time)
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), body, time.monotonic()))
                if self.path == "/hang":
                    receiver.release.wait(120)
                    return
                if self.path == "/close":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if self.path == "/slow":
                    time.sleep(receiver.slow_seconds)
                code = {"/ok": 200, "/slow": 200, "/fail": 500, "/gone": 410, "/redirect": 302}.get(self.path, 404)
                self.send_response(code)
                if code == 302:
                    self.send_header("Location", "/ok")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
