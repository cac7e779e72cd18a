"""API token scopes: what a token may do, on top of what its owner may do."""

from django.db import models


class Scope(models.TextChoices):
    INCIDENTS_READ = "incidents:read", "Read incidents"
    INCIDENTS_WRITE = "incidents:write", "File and change incidents"
    EVIDENCE_READ = "evidence:read", "Read and download evidence"
    EVIDENCE_WRITE = "evidence:write", "Push evidence"
    DISCLOSURES_READ = "disclosures:read", "Read disclosures"
    DISCLOSURES_WRITE = "disclosures:write", "Draft disclosures"
    OBSERVABLES_READ = "observables:read", "Read observables and look values up"
    OBSERVABLES_WRITE = "observables:write", "Add, change and delete observables"
    ALERTS_READ = "alerts:read", "Read alerts"
    ALERTS_WRITE = "alerts:write", "Send alerts"
    AUDIT_READ = "audit:read", "Read audit checkpoints and proofs"
    SEARCH_READ = "search:read", "Search across what the owner may see"
