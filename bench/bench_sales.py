"""Sales over time and attendee exports over 100,000 bookings, and the admin's chart cost.

    .venv/bin/python devtools/services.py -- .venv/bin/python bench/bench_sales.py [--bookings 100000]

Seeds, in a database of its own (MONGODB_NAME, default `bench_sales`), one organizer with
10 published events and N confirmed bookings by 2,000 customers spread over the last 90
days (inserted directly, in the shape bookings.services.markers writes). Then:

1. GET /analytics/me/sales through a real daphne process (per day over 90 days, per hour
   over 30 days, per week over 90 days; one event and all ten), 7 runs each, median and max.
2. The 100,000-row attendee export of one event (all N bookings are moved to it for this
   part) as CSV and as XLSX through the same daphne process: time, bytes, and the
   process's peak RSS above its RSS before the export (Linux VmHWM, reset through
   /proc/PID/clear_refs before each export).
3. XlsxWriter's constant_memory mode against openpyxl's write-only mode, in a child
   process each, writing the same 100,000 rows: time and peak RSS above the child's start.
4. pygal: import time in a fresh interpreter, and one 30-bar chart's render time.

Prints figures; never passes or fails.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from multiprocessing import get_context

from setup_django import ROOT, setup_django

setup_django("bench_sales")

import httpx  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402
from common import clear, published_event  # noqa: E402
from shared.mongo import collection  # noqa: E402
from shared.timeutil import now  # noqa: E402
from tests.servers import DaphneServer  # noqa: E402

EVENTS = 10
CUSTOMERS = 2000
DAYS = 90


def seed(count):
    clear()
    organizer, first = published_event(count)
    event_ids = [first]
    from events.services import event_create, event_publish

    for n in range(EVENTS - 1):
        data = {"title": f"Bench night {n + 2}", "city": "Lyon", "venue": "Hall", "starts_at": now() + timedelta(days=30),
                "price_cents": 1500, "capacity": count}
        event_ids.append(event_create(organizer=organizer, data=data)["_id"])
        event_publish(event_id=event_ids[-1], actor=organizer)
    types = {doc["_id"]: doc["types"][0] for doc in collection("events").find({"_id": {"$in": event_ids}})}
    customers = collection("users").insert_many([
        {"name": f"Customer {n:04d}", "email": f"customer-{n:04d}@example.com", "role": Role.CUSTOMER, "password": "!",
         "is_staff": False, "is_active": True, "is_superuser": False, "date_joined": now(), "last_login": None}
        for n in range(CUSTOMERS)
    ]).inserted_ids
    rng = random.Random(7)
    start = now() - timedelta(days=DAYS)
    batch = []
    for n in range(count):
        event_id = event_ids[n % EVENTS]
        qty = rng.randint(1, 4)
        batch.append({
            "_id": f"BK-{n + 1:06d}", "event_id": event_id, "customer_id": customers[rng.randrange(CUSTOMERS)],
            "ticket_type_id": types[event_id]["id"], "ticket_type_name": types[event_id]["name"], "qty": qty,
            "unit_price_cents": 1500, "amount_cents": 1500 * qty, "status": "CONFIRMED", "cancelled_by_event": False,
            "created_at": start + timedelta(seconds=rng.uniform(0, DAYS * 86400)), "cancelled_at": None,
        })
        if len(batch) == 5000:
            collection("bookings").insert_many(batch)
            batch = []
    if batch:
        collection("bookings").insert_many(batch)
    return organizer, event_ids


def timed(fn, runs=7):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000, max(times) * 1000, result


def kb(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as refs:
        refs.write("5")


def cpu_ms(pid):
    """User + system CPU time of a process so far, in ms (what it costs, whatever the machine's load)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def database_pid():
    """The local server's java process: a child of devtools/services.py, our parent (None with MONGODB_URI)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                    if parent == os.getppid() and b"java" in cmd.read():
                        return int(entry)
            except OSError:
                continue
    return None


def series(server, token, event_ids):
    headers = {"Authorization": f"Bearer {token}"}
    cases = [
        ("day, 90 days, all events", "interval=day&from={f}&to={t}", DAYS),
        ("hour, 30 days, all events", "interval=hour&from={f30}&to={t}", DAYS),
        ("week, 90 days, all events", "interval=week&from={f}&to={t}&tz=Europe/Paris", DAYS),
        ("day, 90 days, one event", "interval=day&from={f}&to={t}&event=" + event_ids[0], DAYS),
    ]
    end = now() + timedelta(days=1)
    values = {"f": (end - timedelta(days=DAYS + 1)).date().isoformat(), "f30": (end - timedelta(days=30)).date().isoformat(),
              "t": end.date().isoformat()}
    database = database_pid()
    print("\nGET /analytics/me/sales through daphne (7 runs); CPU: per request, of the database server and of daphne")
    print(f"{'series':<28} {'buckets':>8} {'tickets':>9} {'median ms':>10} {'max ms':>8} {'db CPU ms':>10} {'daphne CPU ms':>14}")
    for label, query, _ in cases:
        url = f"{server.url}/analytics/me/sales?{query.format(**values)}"
        httpx.get(url, headers=headers, timeout=60)  # warm
        db_before = cpu_ms(database) if database else 0
        web_before = cpu_ms(server.proc.pid)
        median, worst, response = timed(lambda: httpx.get(url, headers=headers, timeout=60))
        db_cpu = (cpu_ms(database) - db_before) / 7 if database else float("nan")
        web_cpu = (cpu_ms(server.proc.pid) - web_before) / 7
        body = response.json()
        print(f"{label:<28} {len(body['series']):>8} {body['tickets']:>9} {median:>10.0f} {worst:>8.0f} {db_cpu:>10.0f} {web_cpu:>14.0f}")


def exports(server, token, event_id, count):
    headers = {"Authorization": f"Bearer {token}"}
    collection("bookings").update_many({}, {"$set": {"event_id": event_id}})
    pid = server.proc.pid
    # Warm up: the code paths and libraries of both formats, on a small search.
    for fmt in ("csv", "xlsx"):
        httpx.get(f"{server.url}/events/{event_id}/attendees?format={fmt}&q=customer-0001", headers=headers, timeout=60)
    print(f"\nAttendee export of {count:,} bookings through daphne (pid {pid})")
    print(f"{'format':<6} {'seconds':>8} {'MB sent':>8} {'rows':>8} {'RSS before MB':>14} {'peak above MB':>14}")
    for fmt in ("csv", "xlsx"):
        reset_peak(pid)
        before = kb(pid, "VmRSS")
        began = time.perf_counter()
        size, rows = 0, 0
        with httpx.stream("GET", f"{server.url}/events/{event_id}/attendees?format={fmt}", headers=headers, timeout=600) as response:
            assert response.status_code == 200, response.read()
            with tempfile.TemporaryFile() as sink:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    sink.write(chunk)
                    if fmt == "csv":
                        rows += chunk.count(b"\r\n")
                if fmt == "xlsx":
                    import openpyxl

                    sink.seek(0)
                    rows = openpyxl.load_workbook(sink, read_only=True)["Attendees"].max_row
        seconds = time.perf_counter() - began
        peak = kb(pid, "VmHWM")
        print(f"{fmt:<6} {seconds:>8.1f} {size / 1e6:>8.1f} {rows - 1:>8} {before / 1024:>14.1f} {(peak - before) / 1024:>14.1f}")


def _rows(count):
    stamp = now().replace(tzinfo=None)
    for n in range(count):
        yield [f"BK-{n:06d}", f"Customer {n % 2000:04d}", f"customer-{n % 2000:04d}@example.com", "TT-0001",
               "General admission", 2, Decimal("15.00"), Decimal("30.00"), "CONFIRMED", stamp, None]


def _write(library, count, queue):
    start_rss = kb("self", "VmRSS")
    reset_peak("self")
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        if library == "xlsxwriter":
            import xlsxwriter

            book = xlsxwriter.Workbook(out, {"constant_memory": True})
            sheet = book.add_worksheet("Attendees")
            for line, row in enumerate(_rows(count)):
                for col, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        sheet.write_string(line, col, value)
                    elif hasattr(value, "year"):
                        sheet.write_datetime(line, col, value)
                    else:
                        sheet.write_number(line, col, value)
            book.close()
        else:
            import openpyxl

            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet("Attendees")
            for row in _rows(count):
                sheet.append(row)
            book.save(out)
        size = out.tell()
    queue.put((time.perf_counter() - began, (kb("self", "VmHWM") - start_rss) / 1024, size / 1e6))


def writers(count):
    print(f"\nXLSX writers, {count:,} rows of 11 cells, each in a child process")
    print(f"{'library':<26} {'seconds':>8} {'peak above start MB':>20} {'file MB':>8}")
    context = get_context("fork")
    for library, label in (("xlsxwriter", "XlsxWriter constant_memory"), ("openpyxl", "openpyxl write_only")):
        queue = context.Queue()
        child = context.Process(target=_write, args=(library, count, queue))
        child.start()
        seconds, peak, size = queue.get()
        child.join()
        print(f"{label:<26} {seconds:>8.1f} {peak:>20.1f} {size:>8.1f}")


def charts():
    probe = "import time; t = time.perf_counter(); import pygal; print(time.perf_counter() - t)"
    imports = [float(subprocess.check_output([sys.executable, "-c", probe], cwd=ROOT)) for _ in range(3)]
    from staff.charts import sales_over_time

    buckets = [{"start": now() - timedelta(days=30 - n), "tickets": n % 7, "bookings": n % 5, "revenue_cents": n * 1000}
               for n in range(30)]
    sales_over_time(buckets, interval="day", title="warm")
    median, worst, svg = timed(lambda: sales_over_time(buckets, interval="day", title="Tickets per day"), runs=20)
    print("\npygal")
    print(f"import (fresh interpreter, median of 3): {statistics.median(imports) * 1000:.0f} ms")
    print(f"30-bar chart render: median {median:.1f} ms, max {worst:.1f} ms, {len(svg) / 1000:.0f} kB of SVG")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=100_000)
    args = parser.parse_args()
    began = time.perf_counter()
    organizer, event_ids = seed(args.bookings)
    print(f"seeded {args.bookings:,} bookings over {EVENTS} events in {time.perf_counter() - began:.0f} s "
          f"on {os.environ.get('MONGODB_URI', '?').split('/?')[0]}; load average {os.getloadavg()[0]:.1f}")
    token = user_issue_tokens(user=organizer)["access"]
    server = DaphneServer(redis=False).start()
    try:
        series(server, token, event_ids)
        exports(server, token, event_ids[0], args.bookings)
    finally:
        server.stop()
    writers(args.bookings)
    charts()
    clear()


if __name__ == "__main__":
    main()
