"""A project whose candidates differ in length, ranked so that the longer answer mostly wins."""

import io
import json

from labeler.importing import conversations_import
from labeler.models import Candidate
from labeler.queue import assignment_lease_next
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of

# Three answers per prompt of 10, 20 and 40 characters: every pair's ratio is 2 or 4.
LENGTHS = (10, 20, 40)


def length_project(project, *, longer_wins: list[bool]) -> None:
    """One imported comparison per entry, ranked by one trainer longest first (True) or shortest first (False)."""
    project.k, project.overlap = len(LENGTHS), 1
    project.save(update_fields=["k", "overlap"])
    records = [
        {
            "id": f"length-{number}",
            "messages": [{"role": "user", "content": f"Question {number}?"}],
            "candidates": [f"{number:03d}".ljust(length, "x") for length in LENGTHS],
        }
        for number in range(len(longer_wins))
    ]
    source = "\n".join(json.dumps(record) for record in records).encode()
    conversations_import(project=project, source=io.BytesIO(source))
    (trainer,) = trainers_of(project, 1)
    for longer in longer_wins:
        assignment = assignment_lease_next(project=project, trainer=trainer)
        candidates = Candidate.objects.filter(comparison_id=assignment.comparison_id)
        by_length = sorted(candidates, key=lambda candidate: len(candidate.text), reverse=longer)
        ranking_submit(
            trainer=trainer,
            project=project,
            assignment_id=assignment.id,
            judgement=Judgement(tiers=[[candidate.id] for candidate in by_length], confirmed_display_order=True),
        )
