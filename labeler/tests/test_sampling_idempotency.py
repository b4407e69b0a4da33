"""Running the sampler again never makes more than K candidates and never drops a stored one."""

import pytest

from labeler.models import Candidate, Comparison
from labeler.sampling.sampler import comparison_claim, comparison_sample
from labeler.tests.factories import CandidateFactory, ComparisonFactory, ModelEndpointFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def comparison(fake_model_server):
    project = ProjectFactory(k=3)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=3)
    return ComparisonFactory(project=project, status=Comparison.Status.PENDING)


def test_it_fills_only_the_empty_slots(fake_model_server, comparison):
    kept = CandidateFactory(comparison=comparison, sample_index=1, source=Candidate.Source.IMPORT)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    assert list(comparison.candidates.values_list("sample_index", flat=True)) == [0, 1, 2]
    assert comparison.candidates.get(sample_index=1) == kept
    assert [request.get("n", 1) for request in fake_model_server.requests] == [2, 1]


def test_a_second_run_finds_nothing_to_claim(fake_model_server, comparison):
    comparison_sample(comparison_id=comparison.id)
    requests = len(fake_model_server.requests)

    assert comparison_sample(comparison_id=comparison.id) is None
    assert comparison_sample(comparison_id=comparison.id, take_over=True) is None

    assert comparison.candidates.count() == 3
    assert len(fake_model_server.requests) == requests


def test_a_duplicated_message_does_not_take_over_a_comparison_being_sampled(comparison):
    assert comparison_claim(comparison_id=comparison.id)

    assert not comparison_claim(comparison_id=comparison.id)
    assert comparison_claim(comparison_id=comparison.id, take_over=True)


def test_a_redelivered_run_finishes_what_a_dead_one_started(fake_model_server, comparison):
    comparison_claim(comparison_id=comparison.id)
    CandidateFactory(comparison=comparison, sample_index=0)

    assert comparison_sample(comparison_id=comparison.id, take_over=True) == Comparison.Status.READY

    assert comparison.candidates.count() == 3
