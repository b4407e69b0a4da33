"""A project with HelpSteer2's rubric, ranked and rated through the real services, for the ratings tests."""

import io
import json

from labeler.importing import conversations_import
from labeler.models import Candidate
from labeler.queue import assignment_lease_next
from labeler.rubric import default_rubric
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of

RATED_CONVERSATION = {
    "id": "product-1",
    "messages": [{"role": "user", "content": "What is 7 times 8?"}],
    "candidates": ["56.", "54, roughly."],
}
# Each trainer's ratings of the right and the wrong answer, in the rubric's order.
RATINGS = [
    ((4, 4, 4, 1, 1), (1, 0, 3, 1, 2)),
    ((3, 4, 4, 0, 0), (0, 0, 4, 1, 2)),
]


def rated_project(project):
    """Imported, then ranked and rated on HelpSteer2's five attributes by two trainers; returns the project."""
    project.k, project.overlap, project.rubric = 2, 2, default_rubric()
    project.save(update_fields=["k", "overlap", "rubric"])
    conversations_import(project=project, source=io.BytesIO(json.dumps(RATED_CONVERSATION).encode()))
    right, wrong = Candidate.objects.filter(comparison__project=project).order_by("sample_index")
    keys = [attribute["key"] for attribute in project.rubric]
    for trainer, (good, bad) in zip(trainers_of(project, 2), RATINGS, strict=True):
        assignment = assignment_lease_next(project=project, trainer=trainer)
        judgement = Judgement(
            tiers=[[right.id], [wrong.id]],
            confirmed_display_order=True,
            ratings={right.id: dict(zip(keys, good, strict=True)), wrong.id: dict(zip(keys, bad, strict=True))},
        )
        ranking_submit(trainer=trainer, project=project, assignment_id=assignment.id, judgement=judgement)
    return project
