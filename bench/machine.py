"""What a benchmark ran on, so that figures from different hosts of one machine kind can be compared.

Hosts of the same kind differ: the same code measured here has been three times slower on one
host than on another. `reference_ms` is the time of a fixed pure-Python workload on one core,
the same kind of work a request does, taken just before the benchmark runs.
"""

import os
import statistics
import time
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _reference_workload() -> None:
    # Dictionaries, strings and attribute-free loops: what a Django request spends its time on.
    rows = [{"id": n, "text": f"candidate {n}"} for n in range(20_000)]
    by_id = {row["id"]: row["text"].upper() for row in rows}
    "".join(by_id[n] for n in sorted(by_id, reverse=True))


def machine() -> dict:
    """The CPU model and count, the load, and the median time of the reference workload (ms)."""
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        _reference_workload()
        timings.append(time.perf_counter() - started)
    return {
        "cpu_model": _cpu_model(),
        "cpus": os.cpu_count(),
        "load_avg_1m_before": round(os.getloadavg()[0], 2),
        "reference_ms": round(statistics.median(timings) * 1000, 2),
    }
