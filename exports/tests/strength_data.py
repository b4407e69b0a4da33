"""The worked example of preference strength in docs/export-formats.md: four imported answers
ranked by two trainers who said how much better each rank is than the next."""

import io
import json

from labeler.importing import conversations_import
from labeler.models import Candidate
from labeler.queue import assignment_lease_next
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of

CONVERSATION = {
    "id": "strength-1",
    "messages": [{"role": "user", "content": "How do I boil an egg?"}],
    "candidates": [
        "Put it in boiling water for nine minutes, then in cold water.",
        "Boil it for about ten minutes.",
        "Boil water and add the egg.",
        "Eggs come from hens.",
    ],
}
# Tiers by the answers' index (W, X, Y, Z), and what each trainer said of each pair of neighbouring tiers.
JUDGED = [
    ([[0], [1, 2], [3]], ["clearly", "much"]),
    ([[0], [1], [2], [3]], ["slightly", "slightly", "much"]),
]


def strength_project(project) -> list[int]:
    """The project with strength collected (margins 1, 2, 3), its conversation ranked; the answers' ids W, X, Y, Z."""
    project.k, project.overlap, project.collect_strength = 4, 2, True
    project.strength_margins = [1.0, 2.0, 3.0]
    project.save(update_fields=["k", "overlap", "collect_strength", "strength_margins"])
    conversations_import(project=project, source=io.BytesIO(json.dumps(CONVERSATION).encode()))
    answers = Candidate.objects.filter(comparison__project=project).order_by("sample_index")
    ids = list(answers.values_list("id", flat=True))
    for trainer, (tiers, strengths) in zip(trainers_of(project, 2), JUDGED, strict=True):
        assignment = assignment_lease_next(project=project, trainer=trainer)
        judgement = Judgement(
            tiers=[[ids[index] for index in tier] for tier in tiers], strengths=strengths, confirmed_display_order=True
        )
        ranking_submit(trainer=trainer, project=project, assignment_id=assignment.id, judgement=judgement)
    return ids
