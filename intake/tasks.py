"""Intake's background work: polling the mailbox (beat, every INTAKE_IMAP_EVERY_SECONDS
when INTAKE_IMAP_URL is set). Safe to run twice: a message read twice is a duplicate."""

from celery import shared_task

from intake.mailbox import MailboxUnavailable, mailbox_poll


@shared_task(
    autoretry_for=(MailboxUnavailable,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def intake_poll_mailbox() -> dict:
    result = mailbox_poll()
    return {"fetched": result.fetched, "created": result.created, "repeated": result.repeated}
