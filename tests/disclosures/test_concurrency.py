"""Two managers approving the same version at the same moment: only one approval counts.

PostgreSQL only: SQLite serialises writers, so two requests never overlap there.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from disclosures import services
from disclosures.lifecycle import DisclosureStatus
from disclosures.models import Approval, Audience, Regime
from tests.conftest import sign_in
from tests.factories import fill_blanks

CONFLICT = 409


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_count_once(incident, responder, manager, second_manager):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so approvals never overlap")
    disclosure = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    fill_blanks(disclosure, responder)
    services.disclosure_submit(disclosure=disclosure, actor=responder)
    clients = []
    for person in (manager, second_manager):
        client = Client()
        sign_in(client, person)
        clients.append(client)
    start = threading.Barrier(len(clients))
    statuses, errors = [None, None], []

    def approve(index):
        try:
            start.wait(timeout=10)
            response = clients[index].post(f"/disclosures/{disclosure.pk}/approve/")
            statuses[index] = response.status_code
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(statuses) == [302, CONFLICT]
    assert Approval.objects.filter(voided_at__isnull=True).count() == 1
    disclosure.refresh_from_db()
    assert disclosure.status == DisclosureStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_in_the_same_role_with_legal_required(
    incident, responder, manager, second_manager, settings
):
    """With legal approval required the first manager approval leaves the disclosure in
    review: the second manager must still not add a second standing manager approval."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so approvals never overlap")
    settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL = True
    disclosure = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.USERS, regime=Regime.NONE
    )
    fill_blanks(disclosure, responder)
    services.disclosure_submit(disclosure=disclosure, actor=responder)
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def approve(person):
        try:
            start.wait(timeout=10)
            services.disclosure_approve(disclosure=disclosure, actor=person)
            outcomes.append("approved")
        except services.IllegalTransition:
            outcomes.append("refused")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(p,)) for p in (manager, second_manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(outcomes) == ["approved", "refused"]
    assert Approval.objects.filter(voided_at__isnull=True, role="manager").count() == 1
