"""DRF throttles whose rates come from settings at request time (so tests and ops can set them)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class TokenUserRateThrottle(UserRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_USER_RATE


class AnonymousRateThrottle(AnonRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_ANON_RATE
