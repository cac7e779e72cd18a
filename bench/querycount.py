"""Counts the SQL statements one request runs and answers them in `X-Query-Count`.

Works in gunicorn (no DEBUG, no test client): a `connection.execute_wrapper` sees
every statement Django sends. Benchmark settings only (bench/settings.py); it refuses
to load unless BENCH_COUNT_QUERIES is on, so it cannot leak the number in production.
"""

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection

HEADER = "X-Query-Count"


class QueryCountMiddleware:
    def __init__(self, get_response):
        if not getattr(settings, "BENCH_COUNT_QUERIES", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response[HEADER] = str(statements)
        return response
