"""Fast server-side seeding of incidents for the benchmarks (generate_series, no ORM):
each incident with its crew, affected systems and timeline entries."""

from __future__ import annotations

from bench import common

SEED_INCIDENTS = """
INSERT INTO incidents_incident (
    reference, title, description, severity, status, occurred_at, discovered_at, aware_at,
    contained_at, resolved_at, discovery_method, attack_vectors, data_categories,
    estimated_affected_people, restricted, reporter_id, created_at, updated_at)
SELECT
    'INC-2020-' || lpad(g::text, 7, '0'),
    'Bench incident ' || g || ': suspicious logins on host-' || (g % 500),
    'Alert from the SIEM about host-' || (g % 500) || '; credentials may be exposed.',
    (ARRAY['low', 'medium', 'high', 'critical'])[1 + g % 4],
    (ARRAY['new', 'triage', 'containment', 'eradication', 'recovery', 'review', 'closed'])
        [1 + g % 7],
    now() - make_interval(mins => {count} - g + 120),
    now() - make_interval(mins => {count} - g + 60),
    now() - make_interval(mins => {count} - g + 30),
    NULL, NULL,
    'SIEM alert',
    '["phishing", "credential stuffing"]'::jsonb,
    (ARRAY['["pii"]', '["credentials"]', '[]', '["pii", "payment_cards"]'])[1 + g % 4]::jsonb,
    g % 5000,
    g % 10 = 0,
    {reporter},
    now() - make_interval(mins => {count} - g),
    now() - make_interval(mins => {count} - g)
FROM generate_series(1, {count}) AS g;

INSERT INTO incidents_crewmember (incident_id, user_id, role, added_at, added_by_id)
SELECT id, {lead}, 'commander', created_at, {lead} FROM incidents_incident;
INSERT INTO incidents_crewmember (incident_id, user_id, role, added_at, added_by_id)
SELECT id, {responder}, 'responder', created_at, {lead} FROM incidents_incident
WHERE id % {responder_every} = 0;

INSERT INTO incidents_affectedsystem (
    incident_id, name, kind, owner, impact_start, impact_end, containment_state, created_at)
SELECT i.id, 'host-' || (i.id % 500) || '-' || s, 'server', 'IT operations',
       i.occurred_at, NULL, (ARRAY['online', 'isolated'])[s], i.created_at
FROM incidents_incident i CROSS JOIN generate_series(1, 2) AS s;

INSERT INTO incidents_timelineentry (incident_id, kind, body, occurred_at, author_id, created_at)
SELECT i.id, (ARRAY['note', 'action', 'decision'])[t], 'Timeline entry ' || t, i.created_at,
       {lead}, i.created_at
FROM incidents_incident i CROSS JOIN generate_series(1, 3) AS t;
"""


def user_id(db_name: str, username: str) -> int:
    sql = f"SELECT id FROM accounts_user WHERE username = '{username}'"  # noqa: S608 - ours
    return int(common.psql(db_name, sql))


def seed_incidents(
    db_name: str, *, count: int, reporter: int, lead: int, responder: int, responder_every: int
) -> None:
    """`count` incidents, 10% restricted; the lead commands every one, the responder is on
    the crew of every `responder_every`-th; two systems and three timeline entries each."""
    common.psql(
        db_name,
        SEED_INCIDENTS.format(
            count=count,
            reporter=reporter,
            lead=lead,
            responder=responder,
            responder_every=responder_every,
        ),
    )
    common.psql(db_name, "VACUUM ANALYZE")


SEED_ACTION_ITEMS = """
INSERT INTO incidents_postincidentreview (incident_id, status, created_at, created_by_id,
                                         completed_at, completed_by_id)
SELECT id, 'draft', created_at, {lead}, NULL, NULL
FROM incidents_incident ORDER BY id DESC LIMIT {reviews};

INSERT INTO incidents_reviewsection (review_id, kind, position, body, updated_at, updated_by_id)
SELECT r.id, k.kind, k.position, '', r.created_at, {lead}
FROM incidents_postincidentreview r
CROSS JOIN (VALUES ('root_cause', 3), ('code_security', 5), ('monitoring', 9))
    AS k(kind, position);

INSERT INTO incidents_actionitem (section_id, incident_id, title, owner_id, due_date, status,
                                 ticket_url, created_by_id, created_at, closed_at)
SELECT s.id, r.incident_id, 'Action ' || n || ' for section ' || s.id,
       CASE WHEN (s.id + n) % 5 = 0 THEN {lead} ELSE {responder} END,
       (now() + make_interval(days => ((s.id + n) % 90)::int - 30))::date,
       (ARRAY['open', 'in_progress', 'done', 'wont_do'])[1 + (s.id + n) % 4],
       '', {lead}, r.created_at,
       CASE WHEN (s.id + n) % 4 >= 2 THEN r.created_at END
FROM incidents_reviewsection s
JOIN incidents_postincidentreview r ON r.id = s.review_id
CROSS JOIN generate_series(1, {per_section}) AS n
ORDER BY s.id, n
LIMIT {count};
"""


def seed_action_items(db_name: str, *, count: int, lead: int, responder: int) -> None:
    """`count` action items under post-incident reviews of the newest incidents (three
    sections each, up to four items per section), a fifth of them owned by the lead,
    a mix of every status and of due dates past and future."""
    per_section = 4
    reviews = -(-count // (3 * per_section))
    common.psql(
        db_name,
        SEED_ACTION_ITEMS.format(
            count=count, lead=lead, responder=responder, reviews=reviews, per_section=per_section
        ),
    )
    common.psql(db_name, "VACUUM ANALYZE")
