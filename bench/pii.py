"""Personal data: how well it is found, how fast it is scanned, and what redacting costs an export.

- Detection: recall and precision per type on the corpus of privacy/tests/corpus.py. A detection is
  a span that acts in a redacted export without a trainer's word: a score of at least
  RANKLAB_PII_REDACT_THRESHOLD, or RANKLAB_PII_NER_REDACT_THRESHOLD for names and places. The
  small model's doubtful names and places (a place modifying a noun, any in another language) are
  suggestions: highlighted for trainers, counted apart (`suggested`), in neither figure.
  `precision_as_personal` (names and places) also counts a name labelled a place, or the reverse.
- Scan throughput: `--messages` messages (the corpus's texts and answer-sized paragraphs) scanned
  by the background scan's service, into the database, in messages per second on this machine.
- Export slow-down: bench/export.py's project (`--comparisons`, 250,000 by default) with an
  e-mail address planted in one conversation in ten, scanned (its scan rows and spans written with
  SQL), streamed as `trl` through the pipeline API with the policy `keep`, then `redact`.

Prints one JSON line.

    .venv/bin/python bench/pii.py [--comparisons 250000] [--messages 2000]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench folder itself must not be on the path: bench/queue.py would shadow `queue`.
sys.path[0] = str(ROOT)

from bench.export import setup, stream
from bench.serve import gunicorn

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ranklab_bench_pii"

ANSWER = (
    "Sure. To reset the router, hold the button on the back for ten seconds, wait for the lights to "
    "blink, then connect again with the password printed on the label. If that fails, the manual's "
    "section on factory settings explains the remaining steps in more detail."
)

PLANT_SQL = """
UPDATE labeler_message m SET content = m.content || ' Write to user' || m.id || '@example.com.'
FROM labeler_conversation c WHERE c.id = m.conversation_id AND c.project_id = %(p)s AND m.id %% 10 = 0;
INSERT INTO privacy_piiscan (project_id, message_id, detector, spans_found, scanned_at)
SELECT %(p)s, m.id, 'bench', (m.id %% 10 = 0)::int, now()
FROM labeler_message m JOIN labeler_conversation c ON c.id = m.conversation_id WHERE c.project_id = %(p)s;
INSERT INTO privacy_piiscan (project_id, candidate_id, detector, spans_found, scanned_at)
SELECT %(p)s, ca.id, 'bench', 0, now()
FROM labeler_candidate ca JOIN labeler_comparison x ON x.id = ca.comparison_id WHERE x.project_id = %(p)s;
INSERT INTO privacy_piispan (project_id, conversation_id, message_id, entity_type, start, "end", score, detector,
    value_hash, status, created_at)
SELECT %(p)s, m.conversation_id, m.id, 'EMAIL_ADDRESS', length(m.content) - length('user' || m.id || '@example.com.'),
    length(m.content) - 1, 1.0, 'bench', md5(m.id::text)::varchar(16), 'detected', now()
FROM labeler_message m JOIN labeler_conversation c ON c.id = m.conversation_id
WHERE c.project_id = %(p)s AND m.id %% 10 = 0;
ANALYZE;
"""


def detection_figures() -> dict:
    from django.conf import settings

    from privacy.detection import detect
    from privacy.tests.corpus import evaluate, texts

    corpus = texts()
    return evaluate(
        corpus,
        list(detect(text.text for text in corpus)),
        threshold=settings.RANKLAB_PII_REDACT_THRESHOLD,
        ner_threshold=settings.RANKLAB_PII_NER_REDACT_THRESHOLD,
    )


def scan_throughput(project, messages: int) -> tuple[float, int]:
    from labeler.models import Conversation, Message
    from privacy.scanning import pii_scan_project
    from privacy.tests.corpus import texts

    samples = [text.text for text in texts()] + [ANSWER] * 20
    conversation = Conversation.objects.create(project=project, external_id="scan-bench")
    Message.objects.bulk_create(
        Message(conversation=conversation, role="user", content=samples[n % len(samples)]) for n in range(messages)
    )
    started = time.perf_counter()
    assert pii_scan_project(project_id=project.id, budget_seconds=3600)
    return messages / (time.perf_counter() - started), sum(len(text) for text in samples) // len(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--comparisons", type=int, default=250_000)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    project, secret = setup(args.database_url, args.comparisons)

    from django.contrib.auth import get_user_model
    from django.db import connection

    from labeler.models import Project
    from privacy.detection import analyzer
    from privacy.models import PiiSpan
    from privacy.policy import pii_policy_set

    started = time.perf_counter()
    analyzer()
    build_seconds = time.perf_counter() - started
    figures = detection_figures()
    scan_project = Project.objects.create(name="scan", slug="scan")
    per_second, mean_length = scan_throughput(scan_project, args.messages)

    with connection.cursor() as cursor:
        cursor.execute(PLANT_SQL, {"p": project.id})
    lead = get_user_model().objects.get(username="bench")
    seconds = {}
    with gunicorn("--workers", "1", "--timeout", "600", "--log-level", "warning") as server:
        url = f"{server.url}/api/v1/projects/{project.slug}/comparisons?format=trl"
        for policy in ("keep", "redact"):
            pii_policy_set(project=project, user=lead, policy=policy)
            stream(f"{url}&limit=10", secret)  # warm the worker: imports, connection
            pairs, _, seconds[policy] = stream(url, secret)
    print(
        json.dumps(
            {
                "benchmark": "pii",
                "detection_counts": "spans acting without a trainer (score >= the redact threshold of their kind)",
                "detection": {
                    entity_type: {
                        "recall": counts["recall"],
                        "precision": counts["precision"],
                        "n": counts["planted"],
                        "found": counts["found"],
                        **({"suggested": counts["suggested"]} if counts["suggested"] else {}),
                        **(
                            {"precision_as_personal": counts["precision_as_personal"]}
                            if "precision_as_personal" in counts
                            else {}
                        ),
                    }
                    for entity_type, counts in figures.items()
                },
                "analyzer_build_seconds": round(build_seconds, 1),
                "scan_messages": args.messages,
                "scan_mean_chars": mean_length,
                "scan_messages_per_s": round(per_second, 1),
                "export_comparisons": args.comparisons,
                "export_pairs": pairs,
                "export_spans": PiiSpan.objects.filter(project=project).count(),
                "export_keep_seconds": round(seconds["keep"], 2),
                "export_redact_seconds": round(seconds["redact"], 2),
                "export_redact_slowdown": round(seconds["redact"] / seconds["keep"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
