"""Celery tasks for evidence: thin, idempotent, safe to run twice or after a crash.

acks_late: a worker killed mid-hash leaves the message on the broker, and another
worker hashes the item from the start (nothing is recorded until the hashes are).
"""

from celery import shared_task

from evidence import services, verification

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


@shared_task(bind=True, acks_late=True)
def evidence_verify_all(self) -> dict:
    """The periodic re-verification (celery beat): hands every stored item, by id and in
    batches, to evidence_verify_batch. It reads ids only, so it is done in moments.

    The run is this message's id: a fan-out delivered again enqueues the same batches
    for the same run, and what was recorded already is not recorded again.
    """
    run = self.request.id or verification.new_run_id()
    batches = items = 0
    for evidence_ids in verification.stored_evidence_batches():
        evidence_verify_batch.delay(evidence_ids=evidence_ids, run=run)
        batches += 1
        items += len(evidence_ids)
    return {"run": run, "batches": batches, "items": items}


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=HASH_RETRIES,
)
def evidence_verify_batch(evidence_ids: list[int], run: str) -> dict:
    """Re-verify these items for the run; safe to deliver twice (recorded once per run)."""
    results = verification.evidence_verify_batch(evidence_ids=evidence_ids, run=run)
    return {
        "run": run,
        "checked": len(results),
        "failed": [result.item_id for result in results if not result.ok],
    }
