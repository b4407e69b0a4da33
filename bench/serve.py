"""The servers a benchmark talks to: started on a free port, waited for, stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, *, seconds: float, what: str) -> None:
    """Return once `url` gives any HTTP answer; end the benchmark if `process` dies or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited before serving")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # an error page is an answer too
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"{what} did not answer in {seconds:.0f} s")


@dataclass
class Server:
    process: subprocess.Popen
    url: str


@contextmanager
def gunicorn(*options: str) -> Iterator[Server]:
    """The app under gunicorn as the Dockerfile runs it, with the settings bench/fresh.py put in the environment."""
    port = free_port()
    process = subprocess.Popen(
        [Path(sys.executable).parent / "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", *options],
        cwd=ROOT,
        start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_answering(f"{server.url}/login/", process, seconds=60, what="gunicorn")
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
