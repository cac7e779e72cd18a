"""Settings for benchmark runs only: production settings plus a per-request SQL query
counter (bench.querycount). Never used outside bench/; config.settings knows nothing
of it."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

BENCH_COUNT_QUERIES = True
MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]
