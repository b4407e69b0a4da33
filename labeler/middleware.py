"""Turns a paused trainer's request into the page that says so, whichever trainer's page it was."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labeler.selectors import MembershipPaused


class MembershipPausedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, MembershipPaused):
            return None
        response = render(
            request, "labeler/paused.html", {"project": exception.project, "reason": str(exception)}, status=403
        )
        if getattr(request, "htmx", False):
            # htmx swaps no 403: the whole page reloads and shows this one instead.
            response["HX-Refresh"] = "true"
        return response
