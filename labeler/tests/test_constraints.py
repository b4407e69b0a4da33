import pytest
from django.db import IntegrityError, transaction

from labeler.models import Assignment, Candidate, Conversation, Project
from labeler.tests.factories import (
    AssignmentFactory,
    ComparisonFactory,
    ConversationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


def test_k_must_be_between_2_and_9():
    for k in (1, 10):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProjectFactory(k=k)
    assert not Project.objects.exists()


def test_conversation_external_id_is_unique_per_project():
    conversation = ConversationFactory(external_id="abc")
    ConversationFactory(external_id="abc")  # another project may reuse it
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(project=conversation.project, external_id="abc")


def test_candidate_sample_index_is_unique_per_comparison():
    comparison = ComparisonFactory(with_candidates=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Candidate.objects.create(comparison=comparison, sample_index=0, text="again", content_hash="x")


def test_a_trainer_has_one_active_assignment_per_comparison():
    assignment = AssignmentFactory(comparison=ComparisonFactory(with_candidates=True))
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(comparison=assignment.comparison, trainer=assignment.trainer)
    assignment.status = Assignment.Status.EXPIRED
    assignment.save(update_fields=["status"])
    AssignmentFactory(comparison=assignment.comparison, trainer=assignment.trainer)
