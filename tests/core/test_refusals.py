"""Domain refusals map to HTTP in one place: core.api for the API, core.views.form_post
for the browser. An illegal state change is 409 with the service's own words in both."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from rest_framework.views import APIView

from core.api import exception_handler
from core.errors import IllegalStateChange
from core.views import form_post


class _Form(forms.Form):
    name = forms.CharField()


def _api(error):
    return exception_handler(error, {"view": APIView(), "request": None})


def test_the_api_answers_an_illegal_state_change_with_409_and_its_message():
    response = _api(IllegalStateChange("An incident in new can move to triage, not closed."))
    assert response.status_code == 409
    assert response.data == {
        "detail": "An incident in new can move to triage, not closed.",
        "request_id": "",  # no request here; in the API it is the request's id
    }


def test_the_api_answers_a_service_field_error_with_400_naming_the_field():
    response = _api(ValidationError({"reason": ["Moving back needs a reason."]}))
    assert response.status_code == 400
    assert response.data == {"reason": ["Moving back needs a reason."], "request_id": ""}


@pytest.mark.parametrize(
    ("error", "status", "where"),
    [
        (IllegalStateChange("Not now."), 409, "__all__"),
        (PermissionDenied("Not you."), 403, "__all__"),
        (ValidationError({"name": ["Taken."]}), 422, "name"),
        (ValidationError("Whole form."), 422, "__all__"),
    ],
)
def test_a_form_post_shows_the_refusal_on_the_form_with_its_status(error, status, where):
    form = _Form({"name": "x"})

    def write(data):
        raise error

    answered = {}
    response = form_post(
        form,
        write,
        succeeded=lambda result: HttpResponse("ok"),
        refused=lambda code: answered.setdefault("status", HttpResponse(status=code)),
    )
    assert response.status_code == status
    assert form.errors[where]


def test_a_form_post_calls_the_service_with_the_cleaned_data_and_answers_success():
    seen = []
    response = form_post(
        _Form({"name": "  web-01 "}),
        lambda data: seen.append(data) or "result",
        succeeded=lambda result: HttpResponse(result),
        refused=lambda code: HttpResponse(status=code),
    )
    assert response.content == b"result" and seen == [{"name": "web-01"}]


def test_an_invalid_form_never_reaches_the_service():
    response = form_post(
        _Form({}),
        lambda data: pytest.fail("the service was called"),
        succeeded=lambda result: HttpResponse("ok"),
        refused=lambda code: HttpResponse(status=code),
    )
    assert response.status_code == 422
