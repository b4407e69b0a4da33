"""Chat projects under load: trainers holding conversations turn by turn against gunicorn.

Each simulated trainer starts a conversation and, for every turn, writes a user message,
polls the turn as the page does (at the interval its `hx-trigger` says) until the first
answer is visible and then until all K are, ranks them (the htmx post), and continues with
the best, pausing about --think-ms to write each message and to read and rank each turn; the
trainers arrive over the first two pauses, and one warm-up turn per web and sampling process
runs before the clock starts. Candidates come from a fast local OpenAI-compatible server
(bench/fastmodel.py) through a real Celery worker on Redis, so the model is not what is measured.

Prints one JSON line: the server-side p50/p95 of "continue" and "submit" (target p95 ≤ 50 ms),
the time from the user turn to its first answer on screen beyond the model's own latency
(target ≤ 300 ms) and, of that, the part spent before the answer is stored (the rest is the
page's poll), and the turns lost or duplicated (must be 0).

    .venv/bin/python bench/chat.py [--trainers 20] [--turns 5] [--k 4] [--model-delay-ms 50]
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(ROOT)

import argparse
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from itertools import groupby
from operator import attrgetter

from bench.fastmodel import fast_model_server
from bench.fresh import django_on_fresh_database
from bench.machine import machine
from bench.queue import NoRedirect, access_logged, make_trainers, percentiles, session_cookie
from bench.serve import gunicorn

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_chat"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')
RANK_ACTION = re.compile(r'id="rank-form" method="post" action="([^"]+)"')
ORDER = re.compile(r'data-display-order="([0-9,]+)"')
ARRIVAL = re.compile(r'class="arrival" data-candidate="(\d+)"')
CONTINUE = re.compile(r'name="candidate" value="(\d+)"')
POLL_EVERY = re.compile(r'hx-trigger="every (\d+)ms"')


def make_project(model_url: str, k: int):
    from labeler.models import ModelEndpoint, Project

    project = Project.objects.create(name="Bench chat", slug="bench-chat", kind="chat", k=k, overlap=1)
    ModelEndpoint.objects.create(
        project=project, name="fast", base_url=model_url, model="fast", share=k, max_concurrency=2 * k
    )
    return project


class ChatTrainer(threading.Thread):
    def __init__(self, base_url, slug, session_key, turns, poll, think, results):
        super().__init__(daemon=True)
        self.base_url, self.slug, self.turns, self.poll, self.results = base_url, slug, turns, poll, results
        self.think = think
        jar = CookieJar()
        jar.set_cookie(session_cookie("sessionid", session_key))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def get(self, path: str, *, htmx: bool = False) -> str:
        headers = {"HX-Request": "true"} if htmx else {}
        request = urllib.request.Request(f"{self.base_url}{path}", headers=headers)
        return self.opener.open(request, timeout=30).read().decode()

    def post(self, path: str, fields: dict, *, htmx: bool = False) -> int:
        headers = {"HX-Request": "true"} if htmx else {}
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=urllib.parse.urlencode(fields).encode(), headers=headers
        )
        try:
            response = self.opener.open(request, timeout=30)
            response.read()
            return response.status
        except urllib.error.HTTPError as answer:
            return answer.code

    def pause(self):
        # Trainers do not act in lockstep: each pause is drawn around the mean.
        time.sleep(random.uniform(0.5, 1.5) * self.think)

    def run(self):
        try:
            self.converse()
        except Exception as error:  # one trainer's failure is counted, the others go on
            self.results["errors"].append(repr(error))

    def converse(self):
        # Nor do they open the page at one instant: twenty logins in the same millisecond is a
        # stampede no team makes, and it would be the figure of the first turns alone.
        time.sleep(random.uniform(0, 2) * self.think)
        page = self.get(f"/p/{self.slug}/chat/")
        if self.post(f"/p/{self.slug}/chat/new/", {"csrfmiddlewaretoken": TOKEN.search(page).group(1)}) != 302:
            raise RuntimeError("could not start a conversation")
        latest = self.get(f"/p/{self.slug}/chat/")
        conversation = re.search(rf'href="/p/{self.slug}/chat/(\d+)/"', latest).group(1)
        base = f"/p/{self.slug}/chat/{conversation}/"
        self.results["conversations"].append(int(conversation))
        for turn in range(self.turns):
            self.pause()  # writing the message
            page = self.get(base)
            fields = {"csrfmiddlewaretoken": TOKEN.search(page).group(1), "revision": REVISION.search(page).group(1)}
            sent = time.perf_counter()
            if self.post(f"{base}turn/", {**fields, "text": f"Question {turn} from {self.name}?"}) != 302:
                raise RuntimeError("the turn was refused")
            first_seen = None
            while True:
                step = self.get(f"{base}?part=step", htmx=True)
                # The first answer shows in the list of arrivals, or at once in the ranking form.
                if first_seen is None and (ARRIVAL.search(step) or ORDER.search(step)):
                    first_seen = time.perf_counter()
                    self.results["first_visible"].append((first_seen - sent, int(conversation), turn))
                if action := RANK_ACTION.search(step):
                    break
                every = POLL_EVERY.search(step)
                time.sleep(int(every.group(1)) / 1000 if every else self.poll)
            self.pause()  # reading and ranking the answers
            tiers = [[int(x)] for x in reversed(ORDER.search(step).group(1).split(","))]
            started = time.perf_counter()
            status = self.post(
                action.group(1),
                {
                    "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
                    "tiers": json.dumps(tiers),
                    "duration_ms": "900",
                },
                htmx=True,
            )
            self.results["submit"].append(time.perf_counter() - started)
            if status != 204:
                raise RuntimeError(f"the ranking was refused ({status})")
            page = self.get(base)
            started = time.perf_counter()
            status = self.post(
                f"{base}continue/",
                {
                    "csrfmiddlewaretoken": TOKEN.search(page).group(1),
                    "revision": REVISION.search(page).group(1),
                    "candidate": CONTINUE.search(page).group(1),
                },
            )
            self.results["continue"].append(time.perf_counter() - started)
            if status != 302:
                raise RuntimeError(f"continuing was refused ({status})")


def server_times(access_log: Path, offset: int) -> dict:
    times = {"continue": [], "submit": []}
    with access_log.open() as log:
        log.seek(offset)
        for line in log:
            method, path, micros = line.split()
            if method == "POST" and path.endswith("/continue/"):
                times["continue"].append(int(micros) / 1e6)
            elif method == "POST" and "/rank/" in path and "/chat/" in path:
                times["submit"].append(int(micros) / 1e6)
    return times


def first_answers(first_visible: list[tuple[float, int, int]]) -> list[tuple[float, float, float]]:
    """Per turn: seconds to its first answer on screen, seconds to that answer's row, its model latency.

    The first answer is the turn's earliest stored candidate, whether the page showed it among
    the arrivals or, with all K in, in the ranking form. Storing counts from the comparison's
    creation (the turn's commit); what lies between storing and showing is the poll.
    """
    from labeler.models import Comparison

    comparisons = (
        Comparison.objects.filter(conversation_id__in={conversation for _, conversation, _ in first_visible})
        .order_by("conversation_id", "created_at", "id")
        .prefetch_related("candidates")
    )
    turns = {}
    for conversation, of_conversation in groupby(comparisons, key=attrgetter("conversation_id")):
        for index, comparison in enumerate(of_conversation):
            first = min(comparison.candidates.all(), key=lambda candidate: (candidate.created_at, candidate.id))
            stored = (first.created_at - comparison.created_at).total_seconds()
            turns[conversation, index] = (stored, (first.latency_ms or 0) / 1000)
    return [(seconds, *turns[conversation, index]) for seconds, conversation, index in first_visible]


def turns_checked(conversations: list[int], turns: int, k: int) -> dict:
    """Turns lost or duplicated: each conversation must hold exactly `turns` of everything."""
    from labeler.models import Comparison, Message
    from rankings.models import Ranking

    lost = duplicated = 0
    for conversation in conversations:
        counts = [
            Message.objects.filter(conversation_id=conversation, role="user").count(),
            Message.objects.filter(conversation_id=conversation, role="assistant").count(),
            Comparison.objects.filter(conversation_id=conversation).count(),
            Ranking.objects.filter(comparison__conversation_id=conversation).count(),
        ]
        lost += sum(max(0, turns - count) for count in counts)
        duplicated += sum(max(0, count - turns) for count in counts)
        for comparison in Comparison.objects.filter(conversation_id=conversation):
            candidates = comparison.candidates.count()
            lost += max(0, k - candidates)
            duplicated += max(0, candidates - k)
    return {"lost": lost, "duplicated": duplicated}


def empty_results() -> dict:
    return {"first_visible": [], "submit": [], "continue": [], "errors": [], "conversations": []}


def run_trainers(trainers: list[ChatTrainer]) -> None:
    for trainer in trainers:
        trainer.start()
    for trainer in trainers:
        trainer.join()


def celery_worker(concurrency: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING",
        f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stderr=subprocess.DEVNULL)
    time.sleep(4)
    return process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--trainers", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--model-delay-ms", type=float, default=50)
    parser.add_argument("--think-ms", type=float, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sampling-workers", type=int, default=4)
    args = parser.parse_args()

    host = machine()
    django_on_fresh_database(args.database_url, redis_url=args.redis_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    from rankings.views.chat import POLL_MS

    project = make_project(fast_model_server(delay_seconds=args.model_delay_ms / 1000), args.k)
    keys = make_trainers(project, args.trainers + max(args.workers, args.sampling_workers), "c")
    sessions, warming = keys[: args.trainers], keys[args.trainers :]
    results, warmed = empty_results(), empty_results()
    worker = celery_worker(args.sampling_workers)
    options, access_log = access_logged(args.workers, args.threads)
    try:
        with gunicorn(*options) as server:
            poll, think = POLL_MS / 1000, args.think_ms / 1000
            # A served app is warm: one turn per web and sampling process before the clock starts,
            # so the figures are not those of the first requests after a restart.
            run_trainers([ChatTrainer(server.url, project.slug, key, 1, poll, 0, warmed) for key in warming])
            if warmed["errors"]:
                raise RuntimeError(f"warming up failed: {warmed['errors'][0]}")
            offset = access_log.stat().st_size
            started = time.monotonic()
            run_trainers(
                [ChatTrainer(server.url, project.slug, key, args.turns, poll, think, results) for key in sessions]
            )
            elapsed = time.monotonic() - started
            served = server_times(access_log, offset)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait()
    answers = first_answers(results["first_visible"])
    checked = turns_checked(results["conversations"], args.turns, args.k)
    print(
        json.dumps(
            {
                "benchmark": "chat",
                "trainers": args.trainers,
                "turns": args.turns,
                "k": args.k,
                "model_delay_ms": args.model_delay_ms,
                "think_ms": args.think_ms,
                "poll_ms": POLL_MS,
                "gunicorn": {"workers": args.workers, "threads": args.threads},
                "machine": host,
                "seconds": round(elapsed, 1),
                "continue_in_server": percentiles(served["continue"]),
                "submit_in_server": percentiles(served["submit"]),
                "continue": percentiles(results["continue"]),
                "submit": percentiles(results["submit"]),
                "first_candidate_beyond_model": percentiles([seen - latency for seen, _, latency in answers]),
                "first_candidate_stored_beyond_model": percentiles(
                    [stored - latency for _, stored, latency in answers]
                ),
                "turns_lost": checked["lost"],
                "turns_duplicated": checked["duplicated"],
                "errors": results["errors"][:5],
                "error_count": len(results["errors"]),
            }
        )
    )


if __name__ == "__main__":
    main()
