"""Audience and regime go together by what each law asks for (disclosures.regimes.
REGIME_AUDIENCES): a pair that makes no sense is refused by the service, the API (400)
and the page (422, the error next to the regime)."""

import pytest
from django.core.exceptions import ValidationError

from disclosures import regimes, services
from disclosures.models import Audience, Disclosure, Regime
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

REFUSED = [
    (Audience.USERS, Regime.GDPR_ART33),
    (Audience.REGULATOR, Regime.GDPR_ART34),
    (Audience.PARTNERS, Regime.GDPR_ART34),
    (Audience.USERS, Regime.NIS2),
    (Audience.INTERNAL, Regime.SEC_8K),
    (Audience.LAW_ENFORCEMENT, Regime.HIPAA),
]
ALLOWED = [
    (Audience.REGULATOR, Regime.GDPR_ART33),
    (Audience.USERS, Regime.GDPR_ART34),
    (Audience.REGULATOR, Regime.NIS2),
    (Audience.REGULATOR, Regime.SEC_8K),
    (Audience.USERS, Regime.HIPAA),
    (Audience.REGULATOR, Regime.HIPAA),
    *((audience, Regime.NONE) for audience in Audience),
]


@pytest.mark.parametrize(("audience", "regime"), REFUSED)
def test_a_pair_that_makes_no_sense_is_refused(incident, responder, audience, regime):
    with pytest.raises(ValidationError) as refused:
        services.disclosure_create(
            incident=incident, actor=responder, audience=audience, regime=regime
        )
    assert list(refused.value.message_dict) == ["regime"]
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(("audience", "regime"), ALLOWED)
def test_the_pairs_the_laws_mean_are_allowed(incident, responder, audience, regime):
    assert regimes.audience_refusal(audience=audience, regime=regime) == ""
    services.disclosure_create(incident=incident, actor=responder, audience=audience, regime=regime)


def test_the_refusal_says_why(incident, responder):
    message = regimes.audience_refusal(audience=Audience.USERS, regime=Regime.GDPR_ART33)
    assert "notification of the supervisory authority" in message
    assert "address it to the regulator" in message


def test_the_api_refuses_with_400_on_regime(token_client, incident, responder):
    client = token_client(responder, "disclosures:write")
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/disclosures/",
        {"audience": "users", "regime": "gdpr_art33"},
    )
    assert response.status_code == 400
    assert "supervisory authority" in response.json()["regime"][0]
    assert not Disclosure.objects.exists()


def test_the_page_shows_the_refusal_next_to_the_regime(client, incident, responder):
    sign_in(client, responder)
    response = client.post(
        f"/disclosures/new/{incident.pk}/", {"audience": "regulator", "regime": "gdpr_art34"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_regime_error"' in html or "errorlist" in html
    assert "communication to the people whose data was breached" in html
    assert not Disclosure.objects.exists()
