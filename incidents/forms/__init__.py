"""Browser forms for incidents. They translate HTTP input into service arguments;
the services in incidents/services.py decide what is allowed and valid.

One module per part of the pages; every form stays importable from `incidents.forms`."""

from incidents.forms.classification import *  # noqa: F403
from incidents.forms.incident import *  # noqa: F403
from incidents.forms.review import *  # noqa: F403
from incidents.forms.tasks import *  # noqa: F403
from incidents.forms.types import *  # noqa: F403
from incidents.forms.work import *  # noqa: F403
