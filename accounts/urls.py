from django.urls import path

from accounts import views
from accounts.views import email, members, notifications, password_reset, recovery, security

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("2fa/setup/", views.totp_setup, name="2fa_setup"),
    path("step-up/", views.step_up, name="step_up"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # Password reset by e-mail: all under password/reset/, which is open without signing in.
    path(
        "password/reset/",
        password_reset.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password/reset/done/",
        password_reset.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/complete/",
        password_reset.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        password_reset.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The person's own security page and its forms.
    path("security/", security.security, name="security"),
    path("security/tokens/", security.token_create, name="token_create"),
    path("security/email/", email.email_change, name="email_change"),
    path("email/verify/<str:token>/", email.email_verify, name="email_verify"),
    path("email/first/", email.email_first, name="email_first"),
    path("notifications/", notifications.notification_preferences, name="notifications"),
    path("security/tokens/<int:pk>/revoke/", security.token_revoke, name="token_revoke"),
    path(
        "security/devices/<str:kind>/<int:pk>/remove/",
        security.device_remove,
        name="device_remove",
    ),
    path(
        "security/backup-codes/",
        security.backup_codes_regenerate,
        name="backup_codes_regenerate",
    ),
    path("security/sessions/<str:public_id>/end/", security.session_end, name="session_end"),
    path(
        "security/sessions/end-others/",
        security.sessions_end_others,
        name="sessions_end_others",
    ),
    # Members (leads), and the invitee's one-time link.
    path("members/", members.members, name="members"),
    path("members/invite/", members.member_invite, name="member_invite"),
    path("members/<int:pk>/role/", members.member_role, name="member_role"),
    path("members/<int:pk>/deactivate/", members.member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/reactivate/", members.member_reactivate, name="member_reactivate"),
    path(
        "members/<int:pk>/factor-reset/",
        members.member_factor_reset,
        name="member_factor_reset",
    ),
    path("invitation/<str:token>/", members.invitation, name="invitation"),
    # A lead's second-factor reset: the person's one-time link (open without signing in).
    path("factor-reset/<str:token>/", recovery.factor_reset, name="factor_reset"),
]
