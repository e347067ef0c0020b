"""devtools/web.py (what `make run` serves with: WEB_CONCURRENCY daphne processes on
one port) serving another ASGI application, for bench_compare's variants:

    python bench/stack/bench_serve.py --app bench_asgi:stock --port PORT
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devtools import web  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    at = args.index("--app")
    web.APP = args[at + 1]
    sys.exit(web.main(args[:at] + args[at + 2:]))
