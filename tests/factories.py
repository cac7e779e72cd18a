"""factory_boy factories. People and incidents are made through the services, so
tests exercise the same path (validation, audit events) as the application."""

import factory

from accounts.models import User
from accounts.roles import Role
from accounts.services import api_token_issue, member_save
from incidents import services as incident_services
from incidents.models import Severity


class MemberFactory(factory.Factory):
    """`MemberFactory(role="responder")` → a saved User in that role's group."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"member{n}")
    role = Role.RESPONDER
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = None

    @classmethod
    def _create(cls, model_class, *, username, role, email, password):
        user, _ = member_save(
            actor=None, username=username, role=role, email=email, password=password
        )
        return user


class IncidentFactory(factory.Factory):
    """`IncidentFactory(reporter=user, restricted=True)` → an incident filed through the service."""

    class Meta:
        model = dict

    reporter = factory.SubFactory(MemberFactory, role=Role.RESPONDER)
    title = factory.Sequence(lambda n: f"Suspicious activity #{n}")
    severity = Severity.HIGH

    @classmethod
    def _create(cls, model_class, *, reporter, title, severity, **fields):
        return incident_services.incident_file(
            reporter=reporter, title=title, severity=severity, **fields
        )


def issue_token(user, *scopes, expires_days=30) -> str:
    _, raw = api_token_issue(
        actor=None, user=user, name="test", scopes=list(scopes), expires_days=expires_days
    )
    return raw


def fill_blanks(disclosure, actor):
    """Confirm every [TO BE CONFIRMED: …] blank of a prefilled draft (a new version by
    `actor`), as its author does before submitting it: a text with blanks cannot go for
    approval."""
    from disclosures import regimes, services

    disclosure.refresh_from_db()
    body = regimes.BLANK_PATTERN.sub("confirmed", disclosure.current_version.body)
    services.disclosure_edit(disclosure=disclosure, actor=actor, body=body)
    disclosure.refresh_from_db()
    return disclosure
