"""Every write to people and tokens: members, roles, passwords, API tokens, sign-in
record, sessions, invitations, message preferences and e-mail addresses, one module
per sub-domain. Everything stays importable from `accounts.services`."""

# Second-factor devices live in accounts.devices; these names stay importable from here.
from accounts.devices import backup_codes_regenerate as backup_codes_regenerate
from accounts.devices import device_remove as device_remove
from accounts.devices import totp_device_confirm as totp_device_confirm
from accounts.devices import totp_device_pending as totp_device_pending
from accounts.services.addresses import *  # noqa: F403
from accounts.services.invitations import *  # noqa: F403
from accounts.services.members import *  # noqa: F403
from accounts.services.preferences import *  # noqa: F403
from accounts.services.sessions import *  # noqa: F403
from accounts.services.signin import *  # noqa: F403
from accounts.services.tokens import *  # noqa: F403
