"""Sampling throughput: RankLab's sampler against a plain `openai` client loop.

Both sample PROMPTS x K completions from the same server with the same concurrency and
parameters: the sampler through `comparison_sample` (claims, top-ups with their own
seeds, the per-endpoint concurrency cap, a database row per candidate), the plain loop
through a thread pool of `openai` calls. Without --url it starts the embedded model
(`manage.py serve_model`) on a free port. It uses a fresh PostgreSQL database,
`ranklab_bench_sampling`, migrated here.

    .venv/bin/python bench/sampling.py [--url http://127.0.0.1:8001/v1] [--prompts 100] [--k 4]

Prints one JSON line: candidates/s and tokens/s of both, and their ratios (target ≥ 0.95).
"""

import sys
from pathlib import Path

# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import logging
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from bench.fresh import django_on_fresh_database
from bench.serve import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "ranklab_bench_sampling"
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
TOPICS = [
    "the sea", "a lighthouse", "bread", "winter", "a bicycle", "honey bees", "the moon", "a library",
    "rain", "chess", "volcanoes", "a violin", "tea", "deserts", "owls", "trains", "gardens", "clocks",
    "mountains", "a map",
]  # fmt: skip
ASKS = [
    "Write one sentence about {}.", "Give a fun fact about {}.", "Describe {} to a child.",
    "Name three words for {}.", "Write a haiku about {}.",
]  # fmt: skip


def prompts(count: int) -> list[str]:
    return [ASKS[i // len(TOPICS) % len(ASKS)].format(TOPICS[i % len(TOPICS)]) + f" (#{i})" for i in range(count)]


def start_embedded_model() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve_model", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    wait_until_answering(f"{url}/models", process, seconds=180, what="serve_model")
    return process, url


def run_direct(url: str, texts: list[str], *, k: int, concurrency: int, max_tokens: int) -> dict:
    import random

    import openai

    client = openai.OpenAI(base_url=url, api_key="no-key", max_retries=0, timeout=120)

    def one(text: str) -> int:
        response = client.chat.completions.create(
            model="smollm2",
            messages=[{"role": "user", "content": text}],
            temperature=0.8,
            top_p=1.0,
            max_tokens=max_tokens,
            seed=random.randrange(1, 2**31 - 1),
        )
        return response.usage.completion_tokens

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        tokens = sum(pool.map(one, [text for text in texts for _ in range(k)]))
    seconds = time.monotonic() - started
    client.close()
    return _figures(len(texts) * k, tokens, seconds)


def run_ranklab(url: str, texts: list[str], *, k: int, concurrency: int, max_tokens: int) -> dict:
    from django.db.models import Sum

    from labeler.models import Candidate, Comparison, Conversation, Message, ModelEndpoint, Project
    from labeler.sampling.sampler import comparison_sample

    Project.objects.filter(slug="bench-sampling").delete()
    project = Project.objects.create(name="Bench sampling", slug="bench-sampling", k=k)
    ModelEndpoint.objects.create(
        project=project,
        name="bench",
        base_url=url,
        model="smollm2",
        temperature=0.8,
        top_p=1.0,
        max_tokens=max_tokens,
        share=k,
        max_concurrency=concurrency,
        timeout_seconds=120,
    )
    ids = []
    for number, text in enumerate(texts):
        conversation = Conversation.objects.create(project=project, external_id=f"bench-{number}")
        message = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=text)
        ids.append(Comparison.objects.create(project=project, conversation=conversation, prompt_message=message).id)
    started = time.monotonic()
    for comparison_id in ids:
        comparison_sample(comparison_id=comparison_id)
    seconds = time.monotonic() - started
    candidates = Candidate.objects.filter(comparison__project=project)
    ready = project.comparisons.filter(status=Comparison.Status.READY).count()
    if ready != len(ids):
        sys.exit(f"only {ready} of {len(ids)} comparisons were sampled")
    tokens = candidates.aggregate(total=Sum("completion_tokens"))["total"]
    return _figures(candidates.count(), tokens, seconds)


def _figures(candidates: int, tokens: int, seconds: float) -> dict:
    return {
        "candidates": candidates,
        "tokens": tokens,
        "seconds": round(seconds, 2),
        "candidates_per_s": round(candidates / seconds, 3),
        "tokens_per_s": round(tokens / seconds, 1),
    }


def _total(rounds: list[dict]) -> dict:
    return _figures(
        sum(r["candidates"] for r in rounds), sum(r["tokens"] for r in rounds), sum(r["seconds"] for r in rounds)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="An OpenAI-compatible base URL; default: start the embedded model.")
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="Alternate the two sides this many times.")
    args = parser.parse_args()

    # Without Redis, as `make run`: the sampler's per-endpoint state lives in the database cache.
    django_on_fresh_database(f"{SERVER_URL}/{DATABASE}")
    logging.getLogger("httpx2").setLevel(logging.WARNING)

    server, url = (None, args.url) if args.url else start_embedded_model()
    try:
        texts = prompts(args.prompts)
        options = {"k": args.k, "concurrency": args.concurrency, "max_tokens": args.max_tokens}
        run_direct(url, texts[:2], k=1, concurrency=1, max_tokens=args.max_tokens)  # warm-up
        ranklab, direct = [], []
        for number in range(args.rounds):
            sides = [(ranklab, run_ranklab), (direct, run_direct)]
            for results, run in sides if number % 2 == 0 else sides[::-1]:
                results.append(run(url, texts, **options))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=15)
    ours, theirs = _total(ranklab), _total(direct)
    print(
        json.dumps(
            {
                "bench": "sampling",
                "server": args.url or "embedded llama.cpp (SmolLM2-135M-Instruct Q4_1)",
                "prompts": args.prompts,
                **options,
                "rounds": args.rounds,
                "ranklab": ours,
                "direct": theirs,
                "ratio_candidates_per_s": round(ours["candidates_per_s"] / theirs["candidates_per_s"], 3),
                "ratio_tokens_per_s": round(ours["tokens_per_s"] / theirs["tokens_per_s"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
