"""A revision and the submission that completes the comparison, each on its own PostgreSQL
connection: the revision waits for the submission's lock and then refuses, so a complete
comparison's rankings never change."""

import threading

import pytest
from django.db import connection, transaction

from labeler.models import Comparison
from rankings.models import Ranking
from rankings.revisions import ranking_revise
from rankings.services import Judgement
from rankings.tests.factories import lease, ready_comparisons, submit, trainers_of
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_revision_waiting_on_the_completing_submission_is_refused(project):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    ready_comparisons(project, 1)
    first, second = trainers_of(project, 2)
    assignment = lease(project, first)
    ranking = submit(assignment, tiers=[[c] for c in reversed(assignment.display_order)])
    other = lease(project, second)
    revised_tiers = [assignment.display_order[1:], assignment.display_order[:1]]
    outcome = {}
    started = threading.Event()

    def revise():
        started.set()
        try:
            ranking_revise(
                trainer=first, project=project, ranking_id=ranking.id, judgement=Judgement(tiers=revised_tiers)
            )
            outcome["result"] = "revised"
        except RankLabError as error:
            outcome["result"] = str(error)
        finally:
            connection.close()

    with transaction.atomic():
        submit(other, tiers=[[c] for c in reversed(other.display_order)])  # completes it, holding the lock
        thread = threading.Thread(target=revise)
        thread.start()
        started.wait()
        thread.join(timeout=1)
        assert thread.is_alive()  # the revision waits on the comparison's lock
    thread.join(timeout=10)

    assert "complete" in outcome["result"]
    assert Comparison.objects.get(id=assignment.comparison_id).status == Comparison.Status.COMPLETE
    assert Ranking.objects.get(id=ranking.id).tiers == ranking.tiers
