"""Template helpers for the security-key and passkey partials."""

import json

from django import template
from django.utils.html import format_html
from django_otp_webauthn.templatetags.otp_webauthn import get_configuration

from accounts.webauthn import credentials_of

register = template.Library()

CONFIG_ELEMENT_ID = "otp_webauthn_config"
_RENDERED = "_cordon_webauthn_config_rendered"


@register.simple_tag
def webauthn_credentials(user):
    """`{% webauthn_credentials request.user as credentials %}`: my confirmed keys, oldest first."""
    if not user.is_authenticated:
        return []
    return list(credentials_of(user))


@register.simple_tag(takes_context=True)
def webauthn_config(context):
    """The package scripts' configuration, in an element they read by id.

    Not json_script: a <script> data block is CSP-safe, but Cordon's pages carry no
    <script> element without src at all, so this is a hidden element whose text is
    the JSON (escaped as HTML; the browser gives the scripts the text back unescaped).
    Rendered once per page, however many partials ask for it.
    """
    request = context["request"]
    if getattr(request, _RENDERED, False):
        return ""
    setattr(request, _RENDERED, True)
    return format_html(
        '<div id="{}" hidden>{}</div>', CONFIG_ELEMENT_ID, json.dumps(get_configuration(request))
    )
