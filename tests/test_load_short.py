"""The short load run: 20 trainers for 20 seconds through gunicorn, as `make load` runs 100
for five minutes. No error, no over-assignment, and every ranking acknowledged is stored."""

import pytest

from bench.load import load_run
from bench.queue import make_project, make_trainers
from tests.live_stack import gunicorn, stack_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_twenty_trainers_for_twenty_seconds_lose_nothing(tmp_path, settings):
    project = make_project("load", 2000)
    keys = make_trainers(project, 20, "load-t")
    web, url = gunicorn(env=stack_env(redis_url=settings.REDIS_URL, data_dir=tmp_path), log=tmp_path / "web.log")
    try:
        result = load_run(url=url, project=project, session_keys=keys, seconds=20, think=0.5)
    finally:
        web.stop()
    print(result)
    assert result["errors"] == 0, result
    assert result["over_assignments"] == 0, result
    assert result["acknowledged"] > 0, result
    assert result["stored"] == result["acknowledged"], result
