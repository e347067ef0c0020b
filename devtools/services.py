"""Run a command with the local services it needs, then stop them.

    python devtools/services.py [--mongo memory|h2] [--data DIR] [--redis] [--beside CMD]... -- CMD ...

MongoDB: when MONGODB_URI is unset, starts the local MongoDB-compatible server
(devtools/mongo-server, built by `make mongo-server`) on a free port and exports
MONGODB_URI. Redis: with --redis and REDIS_URL unset, starts Debian's
redis-server on a free port and exports REDIS_URL. --beside starts another
long-running command with the same environment for as long as CMD runs (`make run`:
the reconciler beside daphne). All of them die with this process (stdin EOF for the
Java server, PR_SET_PDEATHSIG for each), so neither Ctrl-C nor a killed parent
leaves orphans.
"""

import argparse
import ctypes
import fcntl
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAR = ROOT / "devtools" / "mongo-server" / "target" / "local-mongo.jar"
PR_SET_PDEATHSIG = 1


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_mongo(backend="memory", data=None, timeout=60, port=0):
    """Start the local server (on a free port unless `port`); return (process, uri)."""
    if not JAR.exists():
        sys.exit(f"{JAR} is missing: run `make mongo-server` first.")
    cmd = ["java", "-Xss512k", "-jar", str(JAR), "--port", str(port), "--backend", backend]
    if data:
        Path(data).mkdir(parents=True, exist_ok=True)
        cmd += ["--data", str(data)]
    if backend == "h2":
        # Each commit forced to the disk (survives a power loss, not only a kill of the server).
        if os.environ.get("LOCAL_MONGO_FSYNC") == "1":
            cmd += ["--fsync"]
        # "background": the library's own commit about once a second, only to measure the difference.
        if os.environ.get("LOCAL_MONGO_COMMIT"):
            cmd += ["--commit", os.environ["LOCAL_MONGO_COMMIT"]]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("LISTENING "):
            address = line.split()[1]
            return proc, f"mongodb://{address}/?directConnection=true"
    proc.kill()
    sys.exit("the local MongoDB-compatible server did not start")


def hold_data_dir(data):
    """Lock DATA/mongo.lock for this process's life (the kernel drops it when the
    process dies), or exit with one line naming the process that holds it."""
    data.mkdir(parents=True, exist_ok=True)
    lock = open(data / "mongo.lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "unknown"
        sys.exit(
            f"The local database in {data} is in use by another `make run` or `make createstaff` "
            f"(pid {holder}): stop that one first (Ctrl-C in its terminal), or set MONGODB_URI to share one MongoDB."
        )
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def start_redis(timeout=20):
    """Start a throwaway redis-server; return (process, url)."""
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def stop(proc):
    if proc.poll() is None:
        if proc.stdin:
            proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mongo", choices=["memory", "h2"], default="memory")
    parser.add_argument("--data", default=str(ROOT / ".data"))
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("--beside", action="append", default=[], metavar="CMD", help="a shell-quoted command run beside CMD")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    env = dict(os.environ)
    # Django keeps the development key there too (eventbooking/devkey.py).
    env.setdefault("DATA_DIR", str(Path(args.data).resolve()))
    services = []
    try:
        if not env.get("MONGODB_URI"):
            data = Path(args.data) / "mongo" if args.mongo == "h2" else None
            if data:
                lock = hold_data_dir(data)  # noqa: F841 - held until this process exits
            proc, env["MONGODB_URI"] = start_mongo(args.mongo, data)
            services.append(proc)
            env["EVENTBOOKING_LOCAL_MONGO"] = args.mongo
            print(f"local MongoDB-compatible server ({args.mongo}) at {env['MONGODB_URI']}", flush=True)
        if args.redis and not env.get("REDIS_URL"):
            proc, env["REDIS_URL"] = start_redis()
            services.append(proc)
            print(f"local redis-server at {env['REDIS_URL']}", flush=True)
        for beside in args.beside:
            services.append(subprocess.Popen(shlex.split(beside), env=env, preexec_fn=die_with_parent))
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the child through the terminal's process group; wait for it.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()
    finally:
        for proc in reversed(services):
            stop(proc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
