"""Whether the broker answers: pages say background work is paused while it does not.

The answer is kept a few seconds per process, so a page costs no broker round trip and an
outage costs each process one short connection attempt per interval.
"""

import threading
import time

from celery import current_app

BROKER_CHECK_EVERY_SECONDS = 5.0
_BROKER_CONNECT_TIMEOUT_SECONDS = 1.0

_lock = threading.Lock()
_last_check: dict[str, float | bool] = {"at": float("-inf"), "reachable": True}


def broker_ping() -> bool:
    """Connect to the broker now; whether that worked within a second."""
    try:
        with current_app.connection_for_read(connect_timeout=_BROKER_CONNECT_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=0, timeout=_BROKER_CONNECT_TIMEOUT_SECONDS)
    except Exception:
        return False
    return True


def broker_reachable() -> bool:
    """The broker's reachability, checked at most every BROKER_CHECK_EVERY_SECONDS by this process."""
    now = time.monotonic()
    with _lock:
        if now - _last_check["at"] < BROKER_CHECK_EVERY_SECONDS:
            return bool(_last_check["reachable"])
        _last_check["at"] = now
    reachable = broker_ping()
    _last_check["reachable"] = reachable
    return reachable


def broker_reachable_forget() -> None:
    """Check the broker afresh on the next `broker_reachable` call of this process."""
    _last_check["at"] = float("-inf")


def broker_queue_depth(queue: str = "celery") -> int | None:
    """Messages waiting in the broker's queue `queue`; None when the broker cannot say."""
    try:
        with current_app.connection_for_read(connect_timeout=_BROKER_CONNECT_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=0, timeout=_BROKER_CONNECT_TIMEOUT_SECONDS)
            try:
                return connection.default_channel.queue_declare(queue, passive=True).message_count
            except connection.channel_errors:
                return 0  # the broker answers but has no such queue yet: nothing was ever sent to it
    except Exception:
        return None
