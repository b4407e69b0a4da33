"""The Redis cache (ranklab.cache) keeps one client per server, and the client serves any number of calls."""

import threading

from django.core.cache import cache


def test_every_cache_call_uses_the_same_client():
    # Django gives each thread its own cache backend, so the sharing is within a thread's calls.
    assert len({id(cache._cache.get_client(write=write)) for write in (False, True, False)}) == 1


def test_the_cache_answers_from_several_threads_at_once():
    errors = []

    def round_trips(worker: int) -> None:
        try:
            for step in range(50):
                cache.set(f"cache-backend-test:{worker}", step, 30)
                assert cache.get(f"cache-backend-test:{worker}") == step
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=round_trips, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
