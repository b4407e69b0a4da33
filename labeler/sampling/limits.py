"""A cap on concurrent requests per endpoint, shared by every worker process and machine.

An endpoint with `max_concurrency = N` has N slots, cache keys
`ranklab:endpoint:<endpoint>:slot-<i>`; a request holds one while it runs. A slot is
taken with `cache.add`, an atomic SET NX on Redis (and an insert on a unique key with the
database cache), so two processes never hold the same slot. Each slot expires a little
after the endpoint's request timeout, so the slots of a worker killed mid-request come
back by themselves. The cap is only as wide as the cache is shared: with Redis (the
production and test setting) it holds across all workers; with a per-process cache it
holds per worker process.
"""

import math
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

from labeler.models import ModelEndpoint
from labeler.sampling.client import TransientSamplingError

_LEASE_MARGIN_SECONDS = 30


def endpoint_cache_key(endpoint: ModelEndpoint, name: str) -> str:
    # The creation time tells apart two endpoints that got the same id (a database reset
    # while the cache kept its keys), so neither inherits the other's state.
    created = int(endpoint.created_at.timestamp() * 1000) if endpoint.created_at else 0
    return f"ranklab:endpoint:{endpoint.id}-{created}:{name}"


def _slot_key(endpoint: ModelEndpoint, index: int) -> str:
    return endpoint_cache_key(endpoint, f"slot-{index}")


@contextmanager
def endpoint_slot(endpoint: ModelEndpoint, *, wait_seconds: float, first: int = 0) -> Iterator[None]:
    """Hold one of the endpoint's request slots; wait up to `wait_seconds` for one to free up.

    The slots are tried from `first` on: a worker thread that always starts at its own slot
    (the one it freed last) usually takes it at the first try instead of asking for busy ones.
    """
    token = uuid.uuid4().hex
    lease = math.ceil(endpoint.timeout_seconds) + _LEASE_MARGIN_SECONDS
    deadline = time.monotonic() + wait_seconds
    key = None
    while key is None:
        for offset in range(endpoint.max_concurrency):
            index = (first + offset) % endpoint.max_concurrency
            if cache.add(_slot_key(endpoint, index), token, timeout=lease):
                key = _slot_key(endpoint, index)
                break
        else:
            if time.monotonic() > deadline:
                raise TransientSamplingError(
                    f"{endpoint.name} stayed at its limit of {endpoint.max_concurrency} concurrent requests."
                )
            time.sleep(random.uniform(0.02, 0.1))
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
