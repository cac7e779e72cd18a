"""Celery tasks for evidence: thin, idempotent, safe to run twice or after a crash.

acks_late: a worker killed mid-hash leaves the message on the broker, and another
worker hashes the item from the start (nothing is recorded until the hashes are).
"""

from celery import shared_task

from evidence import services

HASH_RETRIES = 5


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=HASH_RETRIES,
)
def evidence_hash(evidence_id: int) -> None:
    services.evidence_hash_stored(evidence_id=evidence_id)


@shared_task(acks_late=True)
def evidence_verify_all() -> dict:
    """The periodic re-verification (celery beat): every stored item hashed again."""
    results = services.evidence_verify_all()
    return {"checked": len(results), "failed": [r.item_id for r in results if not r.ok]}
