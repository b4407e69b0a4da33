"""A project ranked end to end through the real services, for the export tests."""

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
                assignment_id=assignment.id,
                trainer=trainer,
                judgement=Judgement(tiers=tiers, flags=flags, rationale="first is best", duration_ms=900),
            )
