"""Sampling against the real embedded model (llama.cpp serving SmolLM2)."""

import pytest

from labeler.models import Comparison
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_it_samples_k_candidates_with_usage_and_finish_reasons(model_server):
    project = ProjectFactory(k=4)
    endpoint = ModelEndpointFactory(project=project, base_url=model_server, share=4, max_tokens=24)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    candidates = list(comparison.candidates.all())
    assert [c.sample_index for c in candidates] == [0, 1, 2, 3]
    for candidate in candidates:
        assert candidate.text
        assert candidate.endpoint == endpoint
        assert candidate.model_name == "smollm2"
        assert candidate.finish_reason in {"stop", "length"}
        assert candidate.prompt_tokens > 0
        assert 0 < candidate.completion_tokens <= 24
        assert candidate.latency_ms is not None
        assert candidate.params["max_tokens"] == 24
    # llama.cpp answers `n` with one choice: the rest are top-ups, each with its own seed.
    assert len({c.seed for c in candidates}) == 4


def test_a_project_mixing_two_endpoints_gets_each_ones_share(model_server):
    project = ProjectFactory(k=5)
    cold = ModelEndpointFactory(project=project, base_url=model_server, share=2, temperature=0.2, max_tokens=16)
    hot = ModelEndpointFactory(project=project, base_url=model_server, share=3, temperature=1.2, max_tokens=16)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    by_slot = {c.sample_index: c.endpoint_id for c in comparison.candidates.all()}
    assert by_slot == {0: cold.id, 1: cold.id, 2: hot.id, 3: hot.id, 4: hot.id}
    assert {c.params["temperature"] for c in comparison.candidates.filter(endpoint=hot)} == {1.2}
