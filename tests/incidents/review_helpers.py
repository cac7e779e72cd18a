"""Helpers for tests that need an incident's post-incident review completed (closing a
high or critical incident needs one, settings.REVIEW_REQUIRED_SEVERITIES)."""

from incidents import services
from incidents.models import ReviewSectionKind


def complete_review(incident, actor):
    """Write the summary and root cause of the incident's review and complete it."""
    review = services.review_start(incident=incident, actor=actor)
    for kind, body in (
        (ReviewSectionKind.SUMMARY, "A web shell was planted through an unpatched upload form."),
        (ReviewSectionKind.ROOT_CAUSE, "Uploads were not checked for type; no patch cadence."),
    ):
        section = review.sections.get(kind=kind)
        services.review_section_update(section=section, actor=actor, body=body)
    return services.review_complete(review=review, actor=actor)
