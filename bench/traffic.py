"""Trainers ranking against a running server over HTTP, as the browser's htmx does, counting
what the server answered: for `make load` (bench/load.py), its short run in the suite and the
outage tests."""

import http.cookiejar
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

_SUBMIT = re.compile(r'hx-post="(/p/[^/"]+/rank/\d+/submit/)"')
_CARD = re.compile(r'data-id="(\d+)"')


@dataclass
class Tally:
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    acknowledged: int = 0
    paused_seen: int = 0
    seconds: dict[str, list[float]] = field(default_factory=lambda: {"next": [], "submit": []})
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def count(self, status: int, text: str, what: str, seconds: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.seconds[what].append(seconds)
            if status >= 500:
                self.server_errors.append(f"{what}: {status} {text[:200]}")
            if "data-background-paused" in text:
                self.paused_seen += 1


class TrainerSession:
    """One signed-in trainer: `session_key` is a session stored in the database."""

    def __init__(self, base_url: str, session_key: str, slug: str, tally: Tally) -> None:
        self.base_url, self.slug, self.tally = base_url, slug, tally
        self.jar = http.cookiejar.CookieJar()
        host = urllib.parse.urlsplit(base_url).hostname
        self.jar.set_cookie(_cookie("sessionid", session_key, host))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _request(self, path: str, *, data: dict | None = None, what: str) -> str:
        headers = {"HX-Request": "true"} if data is not None else {}
        csrf = next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), None)
        if csrf:
            headers["X-CSRFToken"] = csrf
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                text = response.read().decode(errors="replace")
                status = response.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(errors="replace"), error.code
        except OSError as error:
            text, status = str(error), 599
        self.tally.count(status, text, what, time.perf_counter() - started)
        return text

    def rank_once(self) -> bool:
        """Lease the next comparison and rank it; whether there was one."""
        page = self._request(f"/p/{self.slug}/rank/", what="next")
        submit = _SUBMIT.search(page)
        if submit is None:
            return False
        cards = _CARD.findall(page)
        tiers = "[" + ",".join(f"[{card}]" for card in reversed(cards)) + "]"
        answer = self._request(submit.group(1), data={"tiers": tiers, "duration_ms": "900"}, what="submit")
        if "Ranking saved." in answer:
            with self.tally.lock:
                self.tally.acknowledged += 1
        return True


def _cookie(name: str, value: str, host: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, host, False, False, "/", True, False, None, False, None, None, {}
    )


def rank_until(sessions: list[TrainerSession], stop: threading.Event, *, pause: float = 0.0) -> list[threading.Thread]:
    """Start one thread per trainer, ranking until `stop` is set (or the queue is empty).

    Each pause is drawn around `pause`, so the trainers do not act in lockstep.
    """

    def loop(session: TrainerSession) -> None:
        while not stop.is_set():
            if not session.rank_once():
                time.sleep(0.2)
            elif pause:
                time.sleep(random.uniform(0.5, 1.5) * pause)

    threads = [threading.Thread(target=loop, args=(session,), daemon=True) for session in sessions]
    for thread in threads:
        thread.start()
    return threads
