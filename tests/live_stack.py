"""The app's own processes for the fault tests: gunicorn as the Dockerfile runs it, and the
Procfile's worker and beat lines as `make run` starts them, each on the test's database and
the broker the test chooses."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from labeler.tests.celery_worker import _database_url
from labeler.tests.model_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def stack_env(*, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a process of the stack: the test database, `redis_url` for cache and broker."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "RANKLAB_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:
            return command.strip()
    raise AssertionError(f"The Procfile has no {name!r} process")


class Process:
    """A process group of its own, logging to a file, stopped as honcho stops it."""

    def __init__(self, command: list[str] | str, *, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        with log.open("ab") as output:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                shell=isinstance(command, str),
                executable="/bin/bash" if isinstance(command, str) else None,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def gunicorn(*, env: dict[str, str], log: Path, workers: int = 2, threads: int = 4) -> tuple[Process, str]:
    """gunicorn serving the app on a free port; returns the process and its base URL once it answers."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
    ]  # fmt: skip
    process = Process(command, env=env, log=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=2).close()
            return process, url
        except urllib.error.HTTPError:
            return process, url
        except OSError:
            if process.popen.poll() is not None or time.monotonic() > deadline:
                process.stop()
                pytest.fail(f"gunicorn did not serve:\n{process.log()}")
            time.sleep(0.2)


def wait_for(predicate, *, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n" + "\n".join(p.log() for p in logs))
