"""GETs that write: only from Cordon's own pages, the address bar, or clients that send
no Fetch Metadata.

Some GETs write something as they answer: a download or an export appends custody
events, a report or a disclosure export writes an audit event. The resource-isolation
middleware (config.security) lets a link followed from another site through, as it
must for ordinary pages, so such a link would make a signed-in person download
evidence, or be recorded as having done so, without choosing to.

`@require_same_origin_for_get` refuses a GET (or HEAD) that a browser says came from
another site or a sibling one (`Sec-Fetch-Site: cross-site` or `same-site`), before
the view runs, so nothing is written. Cordon's own pages (`same-origin`), an address
typed or bookmarked (`none`), and scripts, the CLI and API clients, which send no
Fetch Metadata (and are no victim: they carry no one's cookies), pass. Browser pages
offer these actions as POST forms, which the CSRF check covers.

A view whose GET is an action rather than a page names the page it is done from
(`page=`): the refusal links there, and after a sign-in or a step-up code the person
lands there (`page_instead_of_action`) instead of on the action itself, so a `next`
parameter cannot turn a link from elsewhere into a download either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.shortcuts import render
from django.urls import Resolver404, resolve

# What a browser sends for a request from one of Cordon's own pages, or for an
# address the person typed or chose from their bookmarks.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
REFUSED = 403
# Set on a view that writes on GET: None, or the function from the URL's keyword
# arguments to the page where the person does it deliberately.
WRITES_ON_GET = "writes_on_get"
REFUSAL_TEMPLATE = "core/refused_from_another_site.html"


def is_from_another_site(request) -> bool:
    """True when the browser says the request came from another site or a sibling one.

    No Sec-Fetch-Site header means a client that sends no Fetch Metadata (a script,
    the CLI, an old browser): not from another site as far as anyone can tell.
    """
    site = request.headers.get("Sec-Fetch-Site")
    return site is not None and site not in OWN_FETCH_SITES


def require_same_origin_for_get(view=None, *, page: Callable[..., str] | None = None):
    """Decorator for a view whose GET writes something: refuse (403, nothing written)
    a GET or HEAD from another site; POST and the rest go to the view unchanged.

    `page(**url_kwargs)` gives the page where the person does it on purpose (the item
    page for a download); without it the view's own address is that page (a report).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in SAFE_METHODS and is_from_another_site(request):
                return _refusal(request, page(**kwargs) if page else request.get_full_path())
            return view(request, *args, **kwargs)

        setattr(wrapped, WRITES_ON_GET, page or True)
        return wrapped

    return decorator(view) if view is not None else decorator


def _refusal(request, page_url: str):
    context = {"page_url": page_url, "request_id": getattr(request, "request_id", "")}
    response = render(request, REFUSAL_TEMPLATE, context, status=REFUSED)
    response["Cache-Control"] = "no-store"
    response["Vary"] = "Sec-Fetch-Site"
    return response


def page_instead_of_action(path: str) -> str:
    """`path`, unless it is a GET action that names its page: then that page.

    For redirects after a sign-in or a code: `next` may point anywhere on the site,
    but the person lands on the page and presses the button there themselves.
    """
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return path
    page = getattr(match.func, WRITES_ON_GET, None)
    if callable(page):
        return page(**match.kwargs)
    return path
