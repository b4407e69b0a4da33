"""Model audits: RankLab's audit runner against a plain `openai` client loop, and the report page.

Both sides do the same work on a suite of PROBES probes: sample every probe from two endpoints
(the audited one and the baseline; both on bench/fastmodel.py's server, each with CONCURRENCY
requests at a time) and moderate every answer, in batches of 32 with 4 requests at a time, on
the keyword-flagging moderation server of the tests; both servers run in a child process.
RankLab's side is `audit_run_execute` (the per-endpoint slots in Redis, a row per answer, the
classification and the report); the plain side is thread pools of SDK calls that keep the
answers in a list. Then the lead's report page
of the finished run is rendered through the Django test client several times.

    .venv/bin/python bench/audit.py [--probes 200] [--concurrency 8] [--delay 0.05] [--renders 30]

It uses a fresh PostgreSQL database, `ranklab_bench_audit`, and Redis at BENCH_REDIS_URL
(default redis://127.0.0.1:6379/3). Prints one JSON line: probes/s of both and their ratio
(target ≥ 0.9), and the report page's render time, p50 and p95 (target ≤ 200 ms).
"""

import sys
from pathlib import Path

# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.fastmodel import fast_model_server
from bench.fresh import django_on_fresh_database

DATABASE = "ranklab_bench_audit"
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
MODERATION_BATCH = 32
MODERATION_THREADS = 4
MAX_TOKENS = 48


def _serve(delay: float, urls) -> None:
    from safety.tests.moderation_server import ModerationServer

    urls.send((fast_model_server(delay_seconds=delay), ModerationServer().start().base_url))
    threading.Event().wait()


def start_servers(*, delay: float) -> tuple[multiprocessing.Process, str, str]:
    """The fast model and the moderation server in a process of their own: in this one they would
    take turns with the code measured for the interpreter lock."""
    mine, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(delay, theirs), daemon=True)
    process.start()
    model_url, moderation_url = mine.recv()
    return process, model_url, moderation_url


def probes(count: int) -> list[dict]:
    """`count` probes cycled from the shipped suite, each with its own id."""
    from safety.audits import DEFAULT_SUITE_FILE

    shipped = [json.loads(line) for line in DEFAULT_SUITE_FILE.read_text().splitlines() if line.strip()]
    return [
        {
            **shipped[number % len(shipped)],
            "id": f"bench-{number}",
            "prompt": f"{shipped[number % len(shipped)]['prompt']} (#{number})",
        }
        for number in range(count)
    ]


def run_direct(model_url: str, moderation_url: str, records: list[dict], *, concurrency: int) -> float:
    import openai

    client = openai.OpenAI(base_url=model_url, api_key="no-key", max_retries=0, timeout=60)
    moderation = openai.OpenAI(base_url=moderation_url, api_key="no-key", max_retries=0, timeout=30)

    def answer(system: str, prompt: str) -> str:
        response = client.chat.completions.create(
            model="fast",
            messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            temperature=1.0,
            top_p=1.0,
            max_tokens=MAX_TOKENS,
        )
        return response.choices[0].message.content

    def moderate(texts: list[str]) -> list[bool]:
        body = moderation.moderations.with_raw_response.create(model="omni-moderation-latest", input=texts)
        return [result["flagged"] for result in body.http_response.json()["results"]]

    started = time.monotonic()
    with (
        ThreadPoolExecutor(max_workers=concurrency) as candidate,
        ThreadPoolExecutor(max_workers=concurrency) as baseline,
    ):
        futures = [pool.submit(answer, system, record["prompt"]) for record in records
                   for pool, system in ((candidate, "Answer briefly."), (baseline, "Be careful."))]  # fmt: skip
        texts = [future.result() for future in futures]
    with ThreadPoolExecutor(max_workers=MODERATION_THREADS) as pool:
        batches = [texts[start : start + MODERATION_BATCH] for start in range(0, len(texts), MODERATION_BATCH)]
        flagged = [flag for flags in pool.map(moderate, batches) for flag in flags]
    seconds = time.monotonic() - started
    assert len(flagged) == 2 * len(records)
    return seconds


def setup(model_url: str, moderation_url: str, records: list[dict], *, concurrency: int):
    import io

    from labeler.models import Membership, ModelEndpoint, Project
    from safety.audits import probes_import, suite_create
    from safety.models import ModerationEndpoint

    project = Project.objects.create(name="Bench audits", slug="bench-audits")
    endpoints = [
        ModelEndpoint.objects.create(
            project=project, name=name, base_url=model_url, model="fast", system_prompt=system,
            max_tokens=MAX_TOKENS, max_concurrency=concurrency, timeout_seconds=60,
        )
        for name, system in (("candidate", "Answer briefly."), ("baseline", "Be careful."))
    ]  # fmt: skip
    ModerationEndpoint.objects.create(project=project, base_url=moderation_url)
    suite = suite_create(
        project=project,
        name="Bench",
        thresholds={"overall": {"max_disallowed_rate": 0.1, "max_refusal_rate": 0.2, "max_disallowed_increase": 0.05}},
    )
    probes_import(suite=suite, source=io.BytesIO("".join(json.dumps(record) + "\n" for record in records).encode()))
    from django.contrib.auth import get_user_model

    lead = get_user_model().objects.create_user("bench-lead", password="x")
    Membership.objects.create(user=lead, project=project, role=Membership.Role.LEAD)
    return project, suite, endpoints, lead


def run_ranklab(suite, endpoints) -> tuple[float, object]:
    from safety.audit_runner import audit_run_execute
    from safety.audits import audit_run_create

    run = audit_run_create(suite=suite, endpoint=endpoints[0], baseline=endpoints[1], enqueue=False)
    started = time.monotonic()
    run = audit_run_execute(run_id=run.id)
    seconds = time.monotonic() - started
    if run.status != "done" or run.report["incomplete"]["errors"]:
        sys.exit(f"the audit did not finish cleanly: {run.status} {run.error} {run.report.get('notes')}")
    return seconds, run


def render_times(project, run, lead, *, renders: int) -> list[float]:
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")
    client.force_login(lead)
    url = reverse("audit_run_detail", args=[project.slug, run.id])
    times = []
    for _ in range(renders + 1):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return times[1:]  # the first pays for template compilation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="Requests in flight per endpoint.")
    parser.add_argument("--delay", type=float, default=0.05, help="The fast model's answer time, seconds.")
    parser.add_argument("--rounds", type=int, default=2, help="Alternate the two sides this many times.")
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()

    django_on_fresh_database(f"{SERVER_URL}/{DATABASE}", redis_url=REDIS_URL)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    servers, model_url, moderation_url = start_servers(delay=args.delay)
    try:
        records = probes(args.probes)
        project, suite, endpoints, lead = setup(model_url, moderation_url, records, concurrency=args.concurrency)
        run_direct(model_url, moderation_url, records[:8], concurrency=args.concurrency)  # warm-up
        ours, theirs, run = [], [], None
        for number in range(args.rounds):
            sides = ["ranklab", "direct"] if number % 2 == 0 else ["direct", "ranklab"]
            for side in sides:
                if side == "ranklab":
                    seconds, run = run_ranklab(suite, endpoints)
                    ours.append(seconds)
                else:
                    theirs.append(run_direct(model_url, moderation_url, records, concurrency=args.concurrency))
        times = render_times(project, run, lead, renders=args.renders)
    finally:
        servers.terminate()
        servers.join()
    ranklab_rate = args.probes * len(ours) / sum(ours)
    direct_rate = args.probes * len(theirs) / sum(theirs)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]
    print(
        json.dumps(
            {
                "bench": "audit",
                "probes": args.probes,
                "endpoints": 2,
                "concurrency_per_endpoint": args.concurrency,
                "model_delay_s": args.delay,
                "rounds": args.rounds,
                "ranklab_probes_per_s": round(ranklab_rate, 2),
                "direct_probes_per_s": round(direct_rate, 2),
                "ratio_probes_per_s": round(ranklab_rate / direct_rate, 3),
                "report_render_ms_p50": round(statistics.median(times), 1),
                "report_render_ms_p95": round(p95, 1),
                "report_renders": len(times),
            }
        )
    )


if __name__ == "__main__":
    main()
