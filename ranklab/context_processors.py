from django.http import HttpRequest

from ranklab.health import broker_reachable


def background_status(request: HttpRequest) -> dict:
    """`background_paused` for signed-in pages: the broker is unreachable, so sampling, exports and
    statistics wait while rankings are still saved."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"background_paused": not broker_reachable()}
