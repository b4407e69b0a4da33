"""A real Celery worker for tests: `celery -A config worker` in a subprocess, on Redis and
the test database.

    @pytest.mark.django_db(transaction=True)        # the worker only sees committed rows
    def test_it_samples_in_the_background(celery_worker):
        ...enqueue work...
        celery_worker.wait_for(lambda: Comparison.objects.get(...).status == "ready")

`celery_worker` (per test) starts one worker before the test and stops every worker it
started afterwards, before the database is flushed. The worker runs with
DJANGO_SETTINGS_MODULE=config.settings_test, DATABASE_URL pointing at pytest-django's test
database (`test_<name>`) and the suite's REDIS_URL; the queue is purged first, so no
message from an earlier test runs against this one's rows. The handle offers:

- `wait_for(predicate, timeout=60)`: poll until `predicate()` is true, else fail with the log;
- `kill()`: SIGKILL the worker and its pool processes at once, as a crash would;
- `kill_pool()`: SIGKILL only the pool processes (the worker survives and requeues);
- `start(**env)`: start a fresh worker (after `kill()`), with extra environment variables,
  e.g. `start(RANKLAB_SAMPLING_MAX_RETRIES="1")`; `celery_worker_env` sets them for the first;
- `log()`: what the workers printed, for assertion messages.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

_ROOT = Path(__file__).resolve().parents[2]
_READY_TIMEOUT_SECONDS = 60


def _database_url() -> str:
    database = connection.settings_dict
    user = database["USER"] or "postgres"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


class CeleryWorkers:
    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    @property
    def process(self) -> subprocess.Popen:
        return self.processes[-1]

    def start(self, **extra_env: str) -> subprocess.Popen:
        name = f"test-{uuid.uuid4().hex[:8]}@%h"
        log = self.log_dir / f"worker-{len(self.logs)}.log"
        env = {**os.environ, **self.env, **extra_env, "PYTHONUNBUFFERED": "1"}
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--loglevel=INFO", "--pool=prefork", "--concurrency=2", "-n", name, "-Q", "celery,privacy",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log.open("wb") as output:
            # A session of its own, so that kill() reaches the pool processes too.
            process = subprocess.Popen(
                command, cwd=_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        self.logs.append(log)
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        while " ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"The Celery worker did not start:\n{self.log()}")
            time.sleep(0.2)
        return process

    def kill(self) -> None:
        """SIGKILL the newest worker and its pool: no clean shutdown, no message acknowledged."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def kill_pool(self) -> None:
        """SIGKILL the newest worker's pool processes only: the worker sees its tasks lost and,
        tasks being reject-on-worker-lost, hands their messages back to the queue."""
        for pid in _children(self.process.pid):
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def wait_for(self, predicate, *, timeout: float = 60.0, interval: float = 0.2, message: str = ""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(interval)
        pytest.fail(f"Timed out after {timeout:.0f} s waiting for {message or predicate}.\n{self.log()}")

    def log(self, lines: int = 60) -> str:
        text = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs if log.exists())
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def celery_worker_env() -> dict[str, str]:
    """Extra environment for the first worker; override this fixture in a test module."""
    return {}


def _purge_broker() -> None:
    """Drop queued messages and the ones a killed worker left unacknowledged, which Redis
    would otherwise hand to a later test's worker once the visibility timeout passes."""
    from celery import current_app as app

    app.control.purge()
    if settings.CELERY_BROKER_URL.startswith("redis"):
        with app.connection_for_write() as broker:
            broker.default_channel.client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def celery_worker(transactional_db, tmp_path, celery_worker_env):
    _purge_broker()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **celery_worker_env,
    }
    workers = CeleryWorkers(tmp_path, env)
    workers.start()
    yield workers
    workers.stop()
    _purge_broker()
