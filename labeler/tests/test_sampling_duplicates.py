"""Identical candidates are re-sampled a bounded number of times, then kept and marked."""

import pytest

from labeler.models import Comparison
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply

pytestmark = pytest.mark.django_db


def test_a_duplicate_is_resampled_and_replaced_by_a_new_answer(fake_model_server):
    fake_model_server.script(Reply.ok(text="Same."), Reply.ok(text="Same."))
    project = ProjectFactory(k=2)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=2)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    comparison_sample(comparison_id=comparison.id)

    texts = list(comparison.candidates.values_list("text", "is_duplicate"))
    assert texts[0] == ("Same.", False)
    assert texts[1][0] != "Same." and texts[1][1] is False
    assert comparison.candidates.get(sample_index=1).params["duplicate_resamples"] == 1


def test_a_model_that_keeps_repeating_itself_is_kept_and_marked_after_the_limit(fake_model_server, settings):
    settings.RANKLAB_SAMPLING_DUPLICATE_RETRIES = 2
    fake_model_server.default = Reply.ok(text="Always this.")
    project = ProjectFactory(k=3)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url, share=3)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    assert list(comparison.candidates.values_list("is_duplicate", flat=True)) == [False, True, True]
    assert len(set(comparison.candidates.values_list("content_hash", flat=True))) == 1
    # The first request (n=3, one choice) plus, for each of the two other slots, one try and two re-samples.
    assert len(fake_model_server.requests) == 1 + 2 * 3
