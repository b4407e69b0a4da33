"""Rendering untrusted markdown: the worst time over a corpus of pathological inputs.

Each text of `tests/markdown_corpus.py` (thousands of `[`, `![`, `*_`, a 2,000-column table,
nesting thousands deep, a 200,000-character line, …, each within the import limit) is rendered
by `ranklab.markdown.render_markdown_uncached` (what a page pays the first time it shows a text;
later views read the cache) a few times. Prints one JSON line: the worst and median render time,
the case of the worst, how many cases were shown as plain text because formatting them would
exceed the budget or hide text, and the machine.

    .venv/bin/python bench/render.py [--repeat 3]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bench.machine import machine
from ranklab.markdown import RENDER_BUDGET_SECONDS, render_markdown_uncached
from tests.markdown_corpus import ACTIVE, PATHOLOGICAL


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    host = machine()
    times, plain = {}, []
    for name, text in {**PATHOLOGICAL, **ACTIVE}.items():
        runs = []
        for _ in range(arguments.repeat):
            start = time.perf_counter()
            html = render_markdown_uncached(text)
            runs.append(time.perf_counter() - start)
        times[name] = max(runs)
        if 'class="render-note"' in html:
            plain.append(name)
    worst = max(times, key=times.get)
    line = {
        "bench": "render",
        "cases": len(times),
        "budget_ms": RENDER_BUDGET_SECONDS * 1000,
        "worst_ms": round(times[worst] * 1000, 1),
        "worst_case": worst,
        "median_ms": round(statistics.median(times.values()) * 1000, 2),
        "plain_text_cases": plain,
        "slowest": {
            name: round(seconds * 1000, 1) for name, seconds in sorted(times.items(), key=lambda item: -item[1])[:5]
        },
        "machine": host,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
