"""The corpus as a project: imported, scanned and ranked through the real services."""

import io
import json

from labeler.importing import conversations_import
from labeler.queue import assignment_lease_next
from privacy.scanning import pii_scan_project
from privacy.tests.corpus import texts
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of


def corpus_records() -> list[dict]:
    """One conversation per corpus text; its first candidate repeats the text, so values recur within it."""
    return [
        {
            "id": f"{text.conversation}-{number}",
            "messages": [{"role": "user", "content": text.text}],
            "candidates": [f"Noted: {text.text}", "Sure, I can help with that.", "I can't help with that."],
        }
        for number, text in enumerate(texts())
    ]


def corpus_project(project, *, ranked: bool = True) -> None:
    """Import the corpus into `project` (K = 3), scan it, and have one trainer rank every comparison."""
    project.k, project.overlap = 3, 1
    project.save(update_fields=["k", "overlap"])
    source = "\n".join(json.dumps(record) for record in corpus_records()).encode()
    conversations_import(project=project, source=io.BytesIO(source))
    assert pii_scan_project(project_id=project.id, budget_seconds=300)
    if not ranked:
        return
    (trainer,) = trainers_of(project, 1)
    while (assignment := assignment_lease_next(project=project, trainer=trainer)) is not None:
        ids = sorted(assignment.display_order)
        ranking_submit(
            trainer=trainer,
            project=project,
            assignment_id=assignment.id,
            judgement=Judgement(tiers=[[ids[0]], [ids[1]], [ids[2]]], duration_ms=1000, confirmed_display_order=True),
        )
