from django.apps import AppConfig


class ObservablesConfig(AppConfig):
    name = "observables"
    verbose_name = "Observables"
