"""Run a command with the local services it needs, then stop them.

    python devtools/services.py [--mongo memory|h2] [--data DIR] [--redis] [--beside CMD]...
                                [--listen HOST:PORT] [--share] -- CMD ...
    python devtools/services.py --check-settings [--listen HOST:PORT]
    python devtools/services.py --reset [--data DIR]

MongoDB: when MONGODB_URI is unset, starts the local MongoDB-compatible server
(devtools/mongo-server, built by `make mongo-server`) on a free port and exports
MONGODB_URI. Redis: with --redis and REDIS_URL unset, starts Debian's
redis-server on a free port and exports REDIS_URL. --beside starts another
long-running command with the same environment for as long as CMD runs (`make run`:
the reconciler beside daphne). All of them die with this process (stdin EOF for the
Java server, PR_SET_PDEATHSIG for each), so neither Ctrl-C nor a killed parent
leaves orphans.

`make run` passes --listen, the address CMD serves HTTP on: it must be free before
any service starts (one line and exit 1 otherwise), and once it answers a banner
names its addresses. With --mongo h2, the local database's files are in DIR/mongo,
locked by one process at a time; the lock file also names the server's address,
so --share (`make createstaff`) uses the server of a running `make run` instead
of refusing. --reset wipes those files (`make reset`), refused while in use.
--check-settings loads Django's settings and exits with their complaint alone.
"""

import argparse
import ctypes
import errno
import fcntl
import http.client
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


def try_data_dir(data):
    """(lock, None) with DATA/mongo.lock locked for this process's life (the kernel
    drops it when the process dies), or (None, (pid, uri)) of the process holding it
    (uri None until its server has started)."""
    data.mkdir(parents=True, exist_ok=True)
    lock = open(data / "mongo.lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        lines = lock.read().split()
        lock.close()
        return None, ((lines or ["unknown"])[0], lines[1] if len(lines) > 1 else None)
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock, None


def hold_data_dir(data):
    """Lock DATA/mongo.lock for this process's life, or exit with one line naming the
    process that holds it."""
    lock, holder = try_data_dir(data)
    if holder:
        sys.exit(
            f"The local database in {data} is in use by another `make run` or `make createstaff` "
            f"(pid {holder[0]}): stop that one first (Ctrl-C in its terminal), or set MONGODB_URI to share one MongoDB."
        )
    return lock


def answers(uri):
    import pymongo

    try:
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
            client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False


def share_data_dir(data, timeout=60):
    """(lock, None) when DATA is free (this process starts the server), or (None, uri)
    of the running server that holds it; waits for a holder that is still starting."""
    deadline = time.monotonic() + timeout
    while True:
        lock, holder = try_data_dir(data)
        if lock:
            return lock, None
        pid, uri = holder
        if uri and answers(uri):
            return None, uri
        if time.monotonic() > deadline:
            sys.exit(f"The local database in {data} is held by pid {pid}, whose server does not answer: stop it first.")
        time.sleep(0.5)


def reset_data_dir(data):
    """Delete the local database's files in DATA (keeping its lock file), or exit with
    one line when a process uses them."""
    lock, holder = try_data_dir(data)
    if holder:
        sys.exit(
            f"The local database in {data} is in use by `make run` or `make createstaff` (pid {holder[0]}): "
            "stop it first (Ctrl-C in its terminal), then run `make reset` again."
        )
    for path in data.iterdir():
        if path.name == "mongo.lock":
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    lock.close()


def split_address(value):
    """'HOST:PORT' (HOST may be '[::1]') -> (host, port)."""
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def check_free(host, port):
    """Exit with one line when nothing can listen on host:port (in use, or no such address)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        sys.exit(f"Cannot listen on {host}:{port}: {exc.strerror}. Set HOST to an address of this machine.")
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                sys.exit(
                    f"Port {port} on {host} is already in use (another `make run`?): stop what uses it, "
                    f"or choose another port, e.g. `make run PORT={port + 1}`."
                )
            sys.exit(f"Cannot listen on {host}:{port}: {exc.strerror}.")


def check_settings():
    """Load Django's settings; exit with their complaint (ImproperlyConfigured) alone."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventbooking.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.SECRET_KEY  # noqa: B018 - loads the settings module
    except ImproperlyConfigured as exc:
        sys.exit(f"The settings refuse to start: {exc}")


def http_answers(host, port):
    connection = http.client.HTTPConnection(host.strip("[]"), port, timeout=2)
    try:
        connection.request("GET", "/health")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def banner(host, port, data=None):
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    base = f"http://{shown}:{port}"
    lines = [
        f"==> Ready: the Event Booking API at {base}/ (Ctrl-C stops everything started here)",
        f"      API         {base}/events    (the README's walk-through; every endpoint in docs/api.md)",
        f"      API docs    {base}/docs/     (Swagger UI; the OpenAPI schema at {base}/schema/)",
        f"      admin       {base}/admin/    (a staff account: `make createstaff` in another terminal)",
    ]
    if data:
        lines.append(f"      local data  {data}    (`make reset` wipes it once this is stopped)")
    return "\n".join(lines)


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
    parser.add_argument("--data", default=os.environ.get("DATA_DIR") or str(ROOT / ".data"))
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("--beside", action="append", default=[], metavar="CMD", help="a shell-quoted command run beside CMD")
    parser.add_argument("--listen", metavar="HOST:PORT", help="where CMD serves HTTP: checked free first, announced once it answers")
    parser.add_argument("--share", action="store_true", help="with --mongo h2: use a running `make run`'s local server")
    parser.add_argument("--check-settings", action="store_true", help="load Django's settings; exit with their complaint alone")
    parser.add_argument("--reset", action="store_true", help="wipe the local database's files in DATA/mongo and exit")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    listen = split_address(args.listen) if args.listen else None
    if args.reset:
        data = Path(args.data).resolve() / "mongo"
        reset_data_dir(data)
        print(f"==> Wiped the local database in {data} (.venv, the builds and the development key stay)", flush=True)
        if os.environ.get("MONGODB_URI"):
            print("    MONGODB_URI is set: the database it names is not touched.", flush=True)
        return 0
    if args.check_settings:
        os.environ.setdefault("DATA_DIR", str(Path(args.data).resolve()))
        check_settings()
        if listen:
            check_free(*listen)
        if not command:
            return 0
    if not command:
        parser.error("no command given")

    env = dict(os.environ)
    # Django keeps the development key there too (shared/devkey.py).
    env.setdefault("DATA_DIR", str(Path(args.data).resolve()))
    if listen:
        check_free(*listen)
    services = []
    shown_data = None
    try:
        if not env.get("MONGODB_URI"):
            data = Path(args.data).resolve() / "mongo" if args.mongo == "h2" else None
            uri = None
            if data and args.share:
                lock, uri = share_data_dir(data)  # noqa: F841 - a lock is held until this process exits
            elif data:
                lock = hold_data_dir(data)  # noqa: F841 - held until this process exits
            if uri:
                env["MONGODB_URI"] = uri
                print(f"==> Using the local database of the running `make run` at {uri}", flush=True)
            else:
                where = f", data in {data}" if data else ", in memory"
                print(f"==> Starting the local MongoDB-compatible server{where}", flush=True)
                proc, env["MONGODB_URI"] = start_mongo(args.mongo, data)
                services.append(proc)
                if data:
                    lock.write(f"{env['MONGODB_URI']}\n")
                    lock.flush()
                    shown_data = data
                print(f"local MongoDB-compatible server ({args.mongo}) at {env['MONGODB_URI']}", flush=True)
            env["EVENTBOOKING_LOCAL_MONGO"] = args.mongo
        if args.redis and not env.get("REDIS_URL"):
            print("==> Starting a local redis-server", flush=True)
            proc, env["REDIS_URL"] = start_redis()
            services.append(proc)
            print(f"local redis-server at {env['REDIS_URL']}", flush=True)
        for beside in args.beside:
            services.append(subprocess.Popen(shlex.split(beside), env=env, preexec_fn=die_with_parent))
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the child through the terminal's process group; wait for it.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        while listen and child.poll() is None:
            if http_answers(*listen):
                print(banner(*listen, shown_data), flush=True)
                break
            time.sleep(0.2)
        return child.wait()
    finally:
        for proc in reversed(services):
            stop(proc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
