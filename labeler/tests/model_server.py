"""Model servers for the tests: the real embedded llama.cpp server, and a fault-injecting fake.

`model_server` (session): `manage.py serve_model` on a free port, started once per test
session on first use, yielding its base URL (`http://127.0.0.1:<port>/v1`). Point an
endpoint at it with `ModelEndpointFactory(base_url=model_server, model="smollm2")`. If the
server cannot start, the test fails with the server's log; it never skips.

`fake_model_server` (per test): a `labeler.tests.fakeserver.FakeModelServer`, started,
yielding the server; script its replies with `.script(Reply....)`, set `.default`, and read
`.requests` / `.max_in_flight`. Its `.base_url` goes into an endpoint's `base_url`.
"""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labeler.tests.fakeserver import FakeModelServer

_ROOT = Path(__file__).resolve().parents[2]
_START_TIMEOUT_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, *, process: subprocess.Popen | None, timeout: float, log: Path | None = None) -> None:
    """Return once `url` answers 200; fail the test (with the log) if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pytest.fail(f"{process.args[:4]} exited with {process.returncode} before serving:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"{url} did not answer within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def model_server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("model-server") / "serve_model.log"
    command = [sys.executable, "manage.py", "serve_model", "--port", str(port), "--n-ctx", "2048"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=_ROOT, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for_http(f"{base_url}/models", process=process, timeout=_START_TIMEOUT_SECONDS, log=log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def fake_model_server():
    server = FakeModelServer().start()
    yield server
    server.stop()
