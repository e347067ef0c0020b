"""Serve eventbooking.asgi:application with daphne on one address: one process, or
one per core behind the same port when Redis carries what processes share.

    python devtools/web.py [--host 127.0.0.1] [--port 8000]

How many processes (what `make run` runs; settings from eventbooking/settings.py):
WEB_CONCURRENCY when set; otherwise, with REDIS_URL set, one per CPU this process
may run on, and without it one. Without Redis each process would have its own
cache, throttle counts and real-time listeners, so more than one is refused.

One process: daphne listens itself, as it always did. Several: this process
binds one listening socket per daphne process to the same address with
SO_REUSEPORT (the kernel spreads new connections over them) and hands each its
own (`daphne -e fd:...`); it keeps no copy, so a socket lives exactly as long as
its process. The daphne processes die with this one (PR_SET_PDEATHSIG); when one
of them exits, this one stops the others and exits with its status.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.services import check_free, die_with_parent  # noqa: E402

APP = "eventbooking.asgi:application"
BACKLOG = 1024
# The service logs every request itself (server/middleware.py), with its request id.
DAPHNE = [sys.executable, "-m", "daphne", "--access-log", os.devnull]


def worker_count(settings, cpus):
    """(count, refusal): how many daphne processes to run, or why not."""
    if settings.WEB_CONCURRENCY:
        count = settings.WEB_CONCURRENCY
    else:
        count = cpus if settings.REDIS_URL else 1
    if count > 1 and not settings.REDIS_URL:
        return count, (
            f"WEB_CONCURRENCY={count} needs REDIS_URL: without Redis each process has its own cache, "
            "throttle counts and real-time listeners. Set REDIS_URL (`make run LOCAL_REDIS=1` starts a local "
            "redis-server) or WEB_CONCURRENCY=1."
        )
    return count, None


def listening_sockets(host, port, count):
    """`count` sockets listening on host:port together (SO_REUSEPORT), after checking
    that nothing else listens there: SO_REUSEPORT would otherwise share the port with it."""
    # Twisted adopts IPv4 sockets only from an endpoint string (`fd:` has no working domain option).
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, family=socket.AF_INET, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    check_free(host, port)
    sockets = []
    for _ in range(count):
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
        sockets.append(sock)
    return sockets


def serve_one(host, port):
    if port:
        check_free(host, port)
    interface = host.strip("[]").replace(":", r"\:")
    daphne = DAPHNE + ["-e", f"tcp:port={port}:interface={interface}:backlog={BACKLOG}", APP]
    os.execv(sys.executable, daphne)


def serve_many(host, port, count):
    sockets = listening_sockets(host, port, count)
    procs = []
    for sock in sockets:
        command = DAPHNE + ["-e", f"fd:fileno={sock.fileno()}", APP]
        procs.append(subprocess.Popen(command, pass_fds=[sock.fileno()], preexec_fn=die_with_parent))
        sock.close()
    print(f"web: {count} daphne processes on {host}:{port} (pids {' '.join(str(p.pid) for p in procs)})", flush=True)

    def stop_all(*_):
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop_all)
    # Ctrl-C reaches the daphne processes through the terminal's process group.
    signal.signal(signal.SIGINT, lambda *_: None)
    while all(proc.poll() is None for proc in procs):
        time.sleep(0.2)
    exited = next(proc for proc in procs if proc.returncode is not None)
    stop_all()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return exited.returncode if exited.returncode >= 0 else 128 - exited.returncode


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventbooking.settings")
    from django.conf import settings

    count, refusal = worker_count(settings, len(os.sched_getaffinity(0)))
    if refusal:
        sys.exit(refusal)
    if count > 1 and ":" in args.host:
        print("web: several processes listen on IPv4 addresses only; serving with one", flush=True)
        count = 1
    if count == 1:
        serve_one(args.host, args.port)
    return serve_many(args.host, args.port, count)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
