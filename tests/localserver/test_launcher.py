"""The local server's launcher (devtools/mongo-server/src): what it sets up around the library."""

import os
import subprocess
from datetime import datetime
from pathlib import Path

from pymongo import MongoClient

JAR = Path(__file__).resolve().parents[2] / "devtools" / "mongo-server" / "target" / "local-mongo.jar"


def test_date_expressions_are_evaluated_in_utc_whatever_the_machines_time_zone():
    # MongoDB: without a timezone argument, date expressions work in UTC.
    env = {**os.environ, "TZ": "America/New_York"}
    server = subprocess.Popen(["java", "-jar", str(JAR), "--port", "0", "--backend", "memory"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        address = server.stdout.readline().split()[1]
        with MongoClient(f"mongodb://{address}/?directConnection=true", serverSelectionTimeoutMS=10000) as client:
            coll = client.launcher_check.dates
            coll.insert_one({"d": datetime(2024, 3, 15, 2, 30)})
            (row,) = coll.aggregate([{"$project": {"_id": 0, "hour": {"$hour": "$d"}, "day": {"$dayOfMonth": "$d"}}}])
        assert row == {"hour": 2, "day": 15}
    finally:
        server.stdin.close()
        server.wait(timeout=30)
