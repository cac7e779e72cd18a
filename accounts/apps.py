from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _apply_role_matrix(sender, using="default", **kwargs) -> None:
    """After migrate (and a test database flush): the role groups hold exactly what
    accounts.roles.MATRIX says. post_migrate is sent once per app, in INSTALLED_APPS
    order, and each app's permissions are created on its own signal: the matrix is
    applied on the last one, when every permission exists."""
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender.label == with_models[-1].label:
        from accounts.roles import apply_matrix

        apply_matrix(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import signals
        from accounts.api import schema  # noqa: F401 - registers the OpenAPI auth extension
        from accounts.housekeeping import accounts_purge_expired
        from core import housekeeping

        signals.connect()
        housekeeping.register("accounts", accounts_purge_expired)
        post_migrate.connect(_apply_role_matrix, dispatch_uid="cordon.apply_role_matrix")
