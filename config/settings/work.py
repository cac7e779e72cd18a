"""The work Cordon does: evidence, background tasks and their schedule, incidents,
disclosures, notifications, housekeeping and the audit log."""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import IS_PRODUCTION, TEST_PROCESS, VAR_DIR, env

# --- Evidence --------------------------------------------------------------

EVIDENCE_STORAGE = env.str("EVIDENCE_STORAGE", default="local")
EVIDENCE_ROOT = env.path("EVIDENCE_ROOT", default=str(VAR_DIR / "evidence"))
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024**3)
# How often celery beat re-hashes every stored item (evidence.tasks.evidence_verify_all).
EVIDENCE_VERIFY_EVERY_SECONDS = env.int("EVIDENCE_VERIFY_EVERY_SECONDS", default=24 * 60 * 60)
# That job hands the items to the workers in batches of at most this many items and
# bytes to hash, each batch well within the broker's visibility timeout (CELERY_*).
EVIDENCE_VERIFY_BATCH_ITEMS = env.int("EVIDENCE_VERIFY_BATCH_ITEMS", default=100)
EVIDENCE_VERIFY_BATCH_BYTES = env.int("EVIDENCE_VERIFY_BATCH_BYTES", default=1024**3)
# EVIDENCE_STORAGE=s3: an S3-compatible bucket through django-storages (MinIO, AWS, ...).
# Credentials come from the usual AWS_* variables or the instance role when unset.
EVIDENCE_S3_OPTIONS = {
    "bucket_name": env.str("EVIDENCE_S3_BUCKET", default=""),
    "endpoint_url": env.str("EVIDENCE_S3_ENDPOINT_URL", default="") or None,
    "region_name": env.str("EVIDENCE_S3_REGION", default="") or None,
    "access_key": env.str("EVIDENCE_S3_ACCESS_KEY_ID", default="") or None,
    "secret_key": env.str("EVIDENCE_S3_SECRET_ACCESS_KEY", default="") or None,
    "location": "evidence",
    "default_acl": None,
    "querystring_auth": True,
    "file_overwrite": False,
}
if EVIDENCE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("EVIDENCE_STORAGE must be 'local' or 's3'.")
if EVIDENCE_STORAGE == "s3" and not EVIDENCE_S3_OPTIONS["bucket_name"]:
    raise ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs EVIDENCE_S3_BUCKET.")

# --- Celery ----------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="cordon") + (
    f"-{TEST_PROCESS}" if TEST_PROCESS else ""
)
# A task taken by a worker that dies (acks_late) goes back to the queue after this many
# seconds; keep it above the longest task (hashing the largest evidence item).
# Idle workers look for such tasks every interval x throttle seconds (kombu's defaults).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}

# --- Incidents -------------------------------------------------------------

# Closing an incident of these severities needs a completed post-incident review
# (comma-separated; empty: never required).
REVIEW_REQUIRED_SEVERITIES = [
    severity.strip().lower()
    for severity in env.list("REVIEW_REQUIRED_SEVERITIES", default=["high", "critical"])
    if severity.strip()
]
if set(REVIEW_REQUIRED_SEVERITIES) - {"low", "medium", "high", "critical"}:
    raise ImproperlyConfigured(
        "REVIEW_REQUIRED_SEVERITIES takes low, medium, high and critical, comma-separated."
    )

# A new incident's Traffic Light Protocol 2.0 and PAP markings when its filer gives none
# (evidence items take their incident's TLP unless given one).
INCIDENT_DEFAULT_TLP = env.str("INCIDENT_DEFAULT_TLP", default="amber").strip().lower()
INCIDENT_DEFAULT_PAP = env.str("INCIDENT_DEFAULT_PAP", default="amber").strip().lower()
if INCIDENT_DEFAULT_TLP not in {"clear", "green", "amber", "amber+strict", "red"}:
    raise ImproperlyConfigured(
        "INCIDENT_DEFAULT_TLP takes clear, green, amber, amber+strict or red (TLP 2.0)."
    )
if INCIDENT_DEFAULT_PAP not in {"clear", "green", "amber", "red"}:
    raise ImproperlyConfigured("INCIDENT_DEFAULT_PAP takes clear, green, amber or red.")

# --- Observables -----------------------------------------------------------

# The largest body the observables API and the paste form take (a larger one is 413,
# read no further): a thousand observables of long URLs fit.
OBSERVABLES_MAX_REQUEST_BYTES = env.int("OBSERVABLES_MAX_REQUEST_BYTES", default=8 * 1024**2)
# Intake (alerts): the largest request body the alert API and webhooks take (413 above,
# before parsing) and how much of each alert's raw payload is kept.
INTAKE_MAX_REQUEST_BYTES = env.int("INTAKE_MAX_REQUEST_BYTES", default=8 * 1024**2)
INTAKE_RAW_MAX_BYTES = env.int("INTAKE_RAW_MAX_BYTES", default=64 * 1024)
# The mailbox (intake/mailbox.py): off unless INTAKE_IMAP_URL is set
# (imap://user:password@host:port, or imaps://). Its alerts are sent as the member
# INTAKE_IMAP_ACCOUNT (a reporter account is enough).
INTAKE_IMAP_URL = env.str("INTAKE_IMAP_URL", default="")
INTAKE_IMAP_FOLDER = env.str("INTAKE_IMAP_FOLDER", default="INBOX")
INTAKE_IMAP_PROCESSED = env.str("INTAKE_IMAP_PROCESSED", default="seen")
INTAKE_IMAP_PROCESSED_FOLDER = env.str("INTAKE_IMAP_PROCESSED_FOLDER", default="Processed")
INTAKE_IMAP_ACCOUNT = env.str("INTAKE_IMAP_ACCOUNT", default="intake-mailbox")
INTAKE_IMAP_EVERY_SECONDS = env.int("INTAKE_IMAP_EVERY_SECONDS", default=60)
INTAKE_IMAP_BATCH = env.int("INTAKE_IMAP_BATCH", default=200)
INTAKE_MAIL_MAX_BYTES = env.int("INTAKE_MAIL_MAX_BYTES", default=50 * 1024**2)
INTAKE_ATTACHMENT_MAX_BYTES = min(
    env.int("INTAKE_ATTACHMENT_MAX_BYTES", default=25 * 1024**2), EVIDENCE_MAX_BYTES
)
if INTAKE_IMAP_PROCESSED not in ("seen", "delete", "move"):
    raise ImproperlyConfigured("INTAKE_IMAP_PROCESSED is one of seen, delete, move.")

# --- Disclosures -----------------------------------------------------------

# Also require an approval from someone in the legal role, besides a manager's.
DISCLOSURE_REQUIRE_LEGAL_APPROVAL = env.bool("DISCLOSURE_REQUIRE_LEGAL_APPROVAL", default=False)
# SEC 8-K: business days are counted in this zone and the filing is due by this time.
DISCLOSURE_SEC_TIME_ZONE = env.str("DISCLOSURE_SEC_TIME_ZONE", default="America/New_York")
DISCLOSURE_SEC_FILING_CUTOFF = env.str("DISCLOSURE_SEC_FILING_CUTOFF", default="17:30")
# Days the SEC is closed besides weekends and the federal holidays, which come from the
# `holidays` package (disclosures/deadlines.py), e.g. a closure ordered after its release.
DISCLOSURE_SEC_HOLIDAYS = env.list("DISCLOSURE_SEC_HOLIDAYS", default=[])
# When reminders go out before each deadline: "half" (half-time), "<n>h" (hours before
# the deadline), "overdue" (at the deadline). Each goes out once per disclosure.
DISCLOSURE_REMINDER_POINTS = env.list(
    "DISCLOSURE_REMINDER_POINTS", default=["half", "24h", "6h", "overdue"]
)
DISCLOSURE_REMINDER_INTERVAL = env.int("DISCLOSURE_REMINDER_INTERVAL", default=300)

# Periodic jobs (celery beat); each app adds its own entries here.
CELERY_BEAT_SCHEDULE = {
    "audit-verify-chain": {
        "task": "audit.tasks.audit_verify_chain",
        "schedule": env.int("AUDIT_VERIFY_EVERY_SECONDS", default=600),
    },
}
CELERY_BEAT_SCHEDULE["evidence-verify-all"] = {
    "task": "evidence.tasks.evidence_verify_all",
    "schedule": EVIDENCE_VERIFY_EVERY_SECONDS,
}
if INTAKE_IMAP_URL:
    CELERY_BEAT_SCHEDULE["intake-poll-mailbox"] = {
        "task": "intake.tasks.intake_poll_mailbox",
        "schedule": INTAKE_IMAP_EVERY_SECONDS,
    }
CELERY_BEAT_SCHEDULE["disclosures-send-reminders"] = {
    "task": "disclosures.tasks.send_disclosure_reminders",
    "schedule": DISCLOSURE_REMINDER_INTERVAL,
}

# --- Notifications ---------------------------------------------------------

# Webhooks: outbound URLs must be http(s) on public addresses unless this is on (tests,
# a receiver inside your own network).
NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = env.bool(
    "NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS", default=False
)
NOTIFICATIONS_WEBHOOK_TIMEOUT = env.float("NOTIFICATIONS_WEBHOOK_TIMEOUT", default=10.0)
# After this many failed tries a delivery is dead (kept, shown, never tried again).
NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = env.int("NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS", default=8)
# Exponential backoff: base * 2^(tries-1), capped, with random jitter of up to half of it.
NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS = env.float(
    "NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS", default=30.0
)
NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS = env.float(
    "NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0
)
# Safety net: beat re-queues due retries whose task message was lost.
NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS = env.int("NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["notifications-webhook-sweep"] = {
    "task": "notifications.tasks.retry_due_webhooks",
    "schedule": NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS,
}
# Safety net: beat sends the filing notices to leads that a lost task message left owing.
INCIDENT_NOTICE_SWEEP_SECONDS = env.int("INCIDENT_NOTICE_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["incidents-notice-sweep"] = {
    "task": "incidents.tasks.incidents_notify_owed_leads",
    "schedule": INCIDENT_NOTICE_SWEEP_SECONDS,
}
# CPU/memory spikes (audit/monitor.py): over a threshold for this long is one episode.
RESOURCE_CPU_PERCENT = env.float("RESOURCE_CPU_PERCENT", default=90.0)
RESOURCE_MEMORY_PERCENT = env.float("RESOURCE_MEMORY_PERCENT", default=90.0)
RESOURCE_SPIKE_SECONDS = env.int("RESOURCE_SPIKE_SECONDS", default=300)
RESOURCE_SAMPLE_SECONDS = env.int("RESOURCE_SAMPLE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["audit-sample-resources"] = {
    "task": "audit.tasks.audit_sample_resources",
    "schedule": RESOURCE_SAMPLE_SECONDS,
}

# --- Housekeeping ----------------------------------------------------------

# Bookkeeping rows are deleted this many days after they stopped being of use (idempotency
# records: after filing, never before IDEMPOTENCY_KEY_TTL_HOURS; sessions: after expiry;
# messages: after delivery), nightly at 03:30 UTC, or now by `manage.py purge_expired`.
IDEMPOTENCY_RETENTION_DAYS = env.int("IDEMPOTENCY_RETENTION_DAYS", default=2)
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=30)
NOTIFICATION_RETENTION_DAYS = env.int("NOTIFICATION_RETENTION_DAYS", default=90)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=90)
LOGIN_ATTEMPT_RETENTION_DAYS = env.int("LOGIN_ATTEMPT_RETENTION_DAYS", default=180)
if min(IDEMPOTENCY_RETENTION_DAYS, SESSION_RETENTION_DAYS, NOTIFICATION_RETENTION_DAYS,
       WEBHOOK_DELIVERY_RETENTION_DAYS, LOGIN_ATTEMPT_RETENTION_DAYS) < 0:  # fmt: skip
    raise ImproperlyConfigured("The *_RETENTION_DAYS settings take 0 or more days.")
for _app in ("accounts", "notifications"):
    CELERY_BEAT_SCHEDULE[f"{_app}-purge-expired"] = {
        "task": f"{_app}.tasks.{_app}_purge_expired",
        "schedule": crontab(hour=3, minute=30),
    }


# --- Audit -----------------------------------------------------------------

# Model writes in these apps are captured into the audit log with their changes.
AUDIT_CAPTURED_APPS = [
    "accounts",
    "incidents",
    "evidence",
    "disclosures",
    "observables",
    "notifications",
]
# Bookkeeping tables whose rows are not domain facts (captured nowhere).
AUDIT_CAPTURE_EXCLUDED_MODELS = [
    "accounts.idempotencyrecord",
    "accounts.usersession",
    "accounts.loginattempt",
    "incidents.referencecounter",
]
# Bulk updates that touch only these fields are bookkeeping, not domain changes: they
# are not captured (every other QuerySet.update/bulk_* of a captured model is).
AUDIT_BULK_BOOKKEEPING_FIELDS = {
    "accounts.apitoken": ["last_used_at"],
    "incidents.incident": ["leads_notice_owed"],
}
# Refused requests (4xx) recorded per client address and minute; the rest go to the
# structured log only, so a scanner cannot flood the audit chain.
AUDIT_REFUSALS_PER_MINUTE = 120
# Never written to the audit log in clear, whatever the model.
AUDIT_REDACTED_FIELDS = ["password", "token_hash", "key", "secret", "session_key", "token"]
# ...and per model: message bodies (text and HTML) may carry one-time links (invitations).
AUDIT_REDACTED_MODEL_FIELDS = {"notifications.notification": ["body", "html_body"]}
# Signed chain heads (audit/chainhead.py): beat appends the current head, HMAC-signed, to
# this file outside the database, so a truncated or rewritten tail is detected by
# `verify_audit_chain --heads FILE`. Empty: off. Keep it where the database cannot write.
AUDIT_CHAIN_HEAD_FILE = env.str("AUDIT_CHAIN_HEAD_FILE", default="")
# The transparency log (audit/sequencer.py, audit/signing.py): the Ed25519 key that signs
# checkpoints, as PEM text or a PEM file (generated into var/ when neither is set, except
# in production), the log's name (default: the site's host + /audit), how often a
# checkpoint is signed while the log grows, and when a waiting event raises the alarm.
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default="")
if IS_PRODUCTION and not (AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE):
    raise ImproperlyConfigured(
        "AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE must be set in production "
        "(an Ed25519 private key in PEM: openssl genpkey -algorithm ed25519)."
    )
AUDIT_LOG_ORIGIN = env.str("AUDIT_LOG_ORIGIN", default="")
AUDIT_CHECKPOINT_EVERY_SECONDS = env.int("AUDIT_CHECKPOINT_EVERY_SECONDS", default=60)
AUDIT_MERGE_DELAY_ALARM_SECONDS = env.int("AUDIT_MERGE_DELAY_ALARM_SECONDS", default=60)
# An RFC 3161 time-stamping authority that stamps each checkpoint (empty: off), and the
# PEM root certificate its answers must chain to (empty: not checked beyond hash/nonce).
AUDIT_TSA_URL = env.str("AUDIT_TSA_URL", default="")
if AUDIT_TSA_URL and not AUDIT_TSA_URL.lower().startswith(("https://", "http://")):
    # urllib would open file: and ftp: URLs too.
    raise ImproperlyConfigured("AUDIT_TSA_URL must be an https:// (or http://) URL.")
AUDIT_TSA_CA_FILE = env.str("AUDIT_TSA_CA_FILE", default="")
CELERY_BEAT_SCHEDULE["audit-sequence"] = {
    "task": "audit.tasks.audit_sequence",
    "schedule": env.float("AUDIT_SEQUENCE_EVERY_SECONDS", default=1.0),
}
# The signing key; empty: derived from SECRET_KEY.
AUDIT_CHAIN_HEAD_KEY = env.str("AUDIT_CHAIN_HEAD_KEY", default="")
AUDIT_CHAIN_HEAD_EVERY_SECONDS = env.int("AUDIT_CHAIN_HEAD_EVERY_SECONDS", default=300)
if AUDIT_CHAIN_HEAD_FILE:
    CELERY_BEAT_SCHEDULE["audit-export-chain-head"] = {
        "task": "audit.tasks.audit_export_chain_head",
        "schedule": AUDIT_CHAIN_HEAD_EVERY_SECONDS,
    }
