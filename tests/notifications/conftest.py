import pytest

from tests.notifications.receiver import Receiver


@pytest.fixture(autouse=True)
def _private_webhooks_allowed(settings):
    """The test receivers listen on loopback, which production refuses."""
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = True


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()
