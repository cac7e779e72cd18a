"""Disclosure fixtures: a draft on the shared `incident`, and one at each later stage."""

import pytest

from accounts.roles import Role
from disclosures import services
from disclosures.models import Audience, Regime
from tests.factories import fill_blanks


@pytest.fixture
def draft(incident, responder):
    return services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )


@pytest.fixture
def in_review(draft, responder):
    fill_blanks(draft, responder)
    return services.disclosure_submit(disclosure=draft, actor=responder)


@pytest.fixture
def approved(in_review, manager):
    services.disclosure_approve(disclosure=in_review, actor=manager)
    in_review.refresh_from_db()
    return in_review


@pytest.fixture
def second_manager(make_member):
    return make_member(Role.MANAGER, username="max")
