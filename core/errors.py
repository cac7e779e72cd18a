"""Domain refusals that every app raises and every surface answers the same way."""


class IllegalStateChange(Exception):
    """A change that the object's current state does not allow (an incident moved out of
    its lifecycle, a disclosure approved twice, evidence disposed under legal hold).

    The API answers 409 with the message (core.api.exception_handler); a browser form
    shows the same message (core.forms.apply_service_errors, core.views.form_post).
    """
