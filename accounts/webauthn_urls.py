"""URLs for security keys and passkeys.

`ceremony_urlpatterns` go under /webauthn/ in the package's own namespace
(otp_webauthn) and names, so its template tags and scripts find Cordon's views;
`urlpatterns` (namespace webauthn) go under /accounts/webauthn/.
"""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from accounts import webauthn

app_name = "webauthn"

urlpatterns = [
    path("<int:pk>/remove/", webauthn.credential_remove, name="remove"),
]

ceremony_urlpatterns = [
    path(
        "registration/begin/",
        webauthn.BeginRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        webauthn.CompleteRegistrationView.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        webauthn.BeginAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        webauthn.CompleteAuthenticationView.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
