"""`make run`'s embedded path, end to end: SQLite, the filesystem broker, the real processes."""

import http.cookiejar
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from labeler.tests.model_server import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _wait_for(predicate, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")


@pytest.fixture
def embedded_env(tmp_path):
    drop = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ENV"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        RANKLAB_DATA_DIR=str(tmp_path),
        RANKLAB_WEB_PORT=str(free_port()),
        RANKLAB_MODEL_PORT=str(free_port()),
    )
    return env


def _login(base_url: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(
        f"{base_url}/login/", data=form.encode(), headers={"Referer": f"{base_url}/login/"}
    )
    opener.open(request, timeout=10)
    return opener


def _web_answers(base_url: str) -> bool:
    try:
        urllib.request.urlopen(f"{base_url}/login/", timeout=2)
    except OSError:
        return False
    return True


def _candidates(database: Path) -> int:
    with sqlite3.connect(database, timeout=5) as connection:
        return connection.execute("SELECT count(*) FROM labeler_candidate").fetchone()[0]


def test_the_embedded_stack_serves_the_demo_and_samples_real_candidates(embedded_env, tmp_path):
    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=embedded_env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert manage("migrate", "--no-input").returncode == 0
    assert manage("createcachetable").returncode == 0
    seeded = manage("seed_demo")
    assert seeded.returncode == 0, seeded.stderr
    credentials = re.search(r"lead\s+(\S+) / (\S+)", seeded.stdout)
    assert credentials, seeded.stdout

    processes = subprocess.Popen(
        [BIN / "honcho", "-f", "Procfile", "start"],
        cwd=ROOT,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{embedded_env['RANKLAB_WEB_PORT']}"
    try:
        _wait_for(lambda: _web_answers(base_url), seconds=60, what="the web process")
        opener = _login(base_url, *credentials.groups())
        home = opener.open(f"{base_url}/", timeout=10).read().decode()
        assert "Demo: everyday assistant" in home

        database = tmp_path / "ranklab.sqlite3"
        _wait_for(lambda: _candidates(database) > 0, seconds=120, what="the first sampled candidate")
    finally:
        os.killpg(processes.pid, signal.SIGTERM)
        output = processes.communicate(timeout=30)[0].decode(errors="replace")
    assert "web" in output and "worker" in output
