from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("2fa/setup/", views.totp_setup, name="2fa_setup"),
    path("step-up/", views.step_up, name="step_up"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]
