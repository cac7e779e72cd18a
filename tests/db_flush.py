"""The test harness's `flush`: the one thing allowed to TRUNCATE the append-only tables.

On PostgreSQL the audit, evidence, custody and disclosure tables refuse TRUNCATE by
trigger (audit 0005, evidence 0009, disclosures 0004), so Django's own `flush` is
refused, in production as everywhere. But Django's TransactionTestCase (behind
`transactional_db` and `live_server`) empties the test database with that very
command. For the test session only, conftest registers this subclass under the name
`flush` (`install()`); production code never sees it.

It lets the flush's TRUNCATE past the truncate guards and nothing else: inside the
flush's own transaction it disables exactly the BEFORE TRUNCATE triggers, runs the
TRUNCATE and enables them again before the commit. DDL is transactional on
PostgreSQL, so no other session ever sees a guard switched off, and a failed flush
rolls the switch back with it. It needs only ownership of the tables, which the test
database's user has (it ran the migrations); `session_replication_role = replica`
would need a superuser and would also silence every other trigger for the statement.

The guards stop the application and accidents, not the database's owner: whoever owns
the tables can always disable or drop a trigger. That is why the audit chain is also
verified against checkpoints and signed heads kept elsewhere.
"""

from django.core.management import get_commands
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

# User triggers that fire BEFORE TRUNCATE (pg_trigger.tgtype bit 5 is TRUNCATE).
TRUNCATE_GUARDS = """
SELECT tgrelid::regclass::text, tgname FROM pg_trigger
WHERE NOT tgisinternal AND tgenabled <> 'D' AND (tgtype & 32) <> 0
"""


def _is_truncate(sql: str) -> bool:
    return sql.lstrip()[:8].upper() == "TRUNCATE"


def _truncate_past_guards(execute, sql, params, many, context):
    if not _is_truncate(sql):
        return execute(sql, params, many, context)
    connection, cursor = context["connection"], context["cursor"]
    if not connection.in_atomic_block:
        # Outside a transaction the switch would be committed, and seen, on its own.
        raise RuntimeError("the harness truncates only inside the flush's transaction")
    cursor.execute(TRUNCATE_GUARDS)
    guards = [(table, connection.ops.quote_name(trigger)) for table, trigger in cursor.fetchall()]
    for table, trigger in guards:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    result = execute(sql, params, many, context)
    for table, trigger in guards:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    return result


class Command(flush.Command):
    """Django's flush, whose TRUNCATE gets past the append-only tables' guards."""

    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        with connection.execute_wrapper(_truncate_past_guards):
            return super().handle(**options)


def install() -> None:
    """Make `call_command("flush")` run this command for the rest of the session.

    call_command takes a command object found in get_commands() as it is, loaded
    already; get_commands() is cached, and emptied again only when a test overrides
    INSTALLED_APPS, so conftest installs it again before each test that commits.
    """
    commands = get_commands()
    if not isinstance(commands.get("flush"), Command):
        commands["flush"] = Command()
