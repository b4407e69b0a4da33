"""A project ranked end to end through the real services, for the export tests."""

import io
import json

from labeler.importing import conversations_import
from labeler.models import Candidate
from labeler.queue import assignment_lease_next
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import ready_comparisons, trainers_of


def rank_all(project, *, comparisons: int, trainers: int) -> None:
    """Each trainer ranks every comparison it is offered: best = lowest id, with one tie."""
    ready_comparisons(project, comparisons)
    for trainer in trainers_of(project, trainers):
        while (assignment := assignment_lease_next(project=project, trainer=trainer)) is not None:
            ids = sorted(assignment.display_order)
            tiers = [[ids[0]], [ids[1], ids[2]], *[[c] for c in ids[3:]]]
            flags = {ids[-1]: ["untruthful"]}
            ranking_submit(
                trainer=trainer,
                project=project,
                assignment_id=assignment.id,
                judgement=Judgement(tiers=tiers, flags=flags, rationale="first is best", duration_ms=900),
            )


DOCS_CONVERSATION = {
    "id": "weather-1",
    "metadata": {"topic": "travel"},
    "messages": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Is it rainy in Tōkyō in June?"},
    ],
    "candidates": ["Yes: June is the rainy season (tsuyu).", "No, June is dry.", "I can't predict the weather."],
}


def docs_project(project) -> None:
    """The project of docs/export-formats.md: imported, then ranked by two trainers."""
    project.k, project.overlap = 3, 2
    project.guidelines = "Prefer the answer that is correct, then the one that is brief."
    project.save(update_fields=["k", "overlap", "guidelines"])
    conversations_import(project=project, source=io.BytesIO(json.dumps(DOCS_CONVERSATION).encode()))
    right, dry, unsure = Candidate.objects.filter(comparison__project=project).order_by("sample_index")
    # Confirmed up front: a shuffled display order may happen to be the ranking itself.
    said = {"flags": {dry.id: ["untruthful"]}, "rationale": "The first is right: June is the rainy season."}
    judgements = [
        Judgement(tiers=[[right.id], [unsure.id, dry.id]], duration_ms=41_000, confirmed_display_order=True, **said),
        Judgement(tiers=[[right.id], [dry.id], [unsure.id]], duration_ms=23_500, confirmed_display_order=True, **said),
    ]
    for trainer, judgement in zip(trainers_of(project, 2), judgements, strict=True):
        assignment = assignment_lease_next(project=project, trainer=trainer)
        ranking_submit(trainer=trainer, project=project, assignment_id=assignment.id, judgement=judgement)
