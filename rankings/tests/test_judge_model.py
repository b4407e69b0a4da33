"""The AI judge against the real llama.cpp server (SmolLM2): in the background after sampling, on a
real Celery worker, and in pairwise mode. The model's answers may be poor; the mechanics may not."""

import pytest

from labeler.models import Comparison
from labeler.sampling.queueing import enqueue_sampling
from labeler.tests.factories import CandidateFactory, ComparisonFactory, ModelEndpointFactory, ProjectFactory
from rankings.judging import comparison_judge, judge_save
from rankings.models import Judge, JudgeRanking

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

_FINAL = (JudgeRanking.Status.DONE, JudgeRanking.Status.FAILED)


@pytest.fixture
def celery_worker_env():
    return {"RANKLAB_JUDGE_RETRY_SECONDS": "0.05"}


def _check_run_pair(forward: dict, reverse: dict, candidate_ids: list[int]) -> None:
    assert sorted(forward["order"]) == sorted(candidate_ids)
    assert reverse["order"] == forward["order"][::-1]
    for run in (forward, reverse):
        # Every request reached the model and came back with text, or was stored with the error.
        assert run["reply"] or run["error"]
        if run["tiers"] is not None:
            assert sorted(i for tier in run["tiers"] for i in tier) == sorted(run["order"])


def test_a_sampled_comparison_is_judged_twice_by_the_real_model_with_the_order_reversed(celery_worker, model_server):
    project = ProjectFactory(k=2)
    ModelEndpointFactory(project=project, base_url=model_server, share=2, max_tokens=24)
    Judge.objects.create(project=project, base_url=model_server, model="smollm2", max_tokens=24)
    comparison = ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    enqueue_sampling(project_id=project.id)

    def judged() -> bool:
        row = JudgeRanking.objects.filter(comparison=comparison).first()
        return row is not None and (row.status in _FINAL or row.attempts >= 1)

    celery_worker.wait_for(judged, timeout=180)
    row = JudgeRanking.objects.get(comparison=comparison)
    candidate_ids = list(comparison.candidates.values_list("id", flat=True))
    assert len(candidate_ids) == 2
    assert len(row.runs) == 2
    _check_run_pair(*row.runs, candidate_ids)
    assert row.model_name == "smollm2"
    assert row.mode == Judge.Mode.LIST
    if row.status == JudgeRanking.Status.DONE:
        assert sorted(i for tier in row.tiers for i in tier) == sorted(candidate_ids)
        assert row.swap_consistent == (row.runs[0]["tiers"] == row.runs[1]["tiers"]) or len(row.tiers) == 1
    else:
        assert row.last_error
    # The judge is no trainer: the comparison still wants its human rankings.
    comparison.refresh_from_db()
    assert comparison.rankings_count == 0
    assert comparison.rankings.count() == 0


def test_pairwise_mode_asks_the_real_model_about_each_pair_in_both_orders(model_server):
    project = ProjectFactory(k=3)
    Judge.objects.create(project=project, base_url=model_server, model="smollm2", mode=Judge.Mode.PAIRS, max_tokens=16)
    comparison = ComparisonFactory(project=project)
    texts = ["Paris is the capital of France.", "I do not know.", "The capital of France is Paris, on the Seine."]
    candidates = [CandidateFactory(comparison=comparison, sample_index=i, text=text) for i, text in enumerate(texts)]
    JudgeRanking.objects.create(comparison=comparison, project=project, next_try_at="2000-01-01T00:00Z")

    row = comparison_judge(comparison_id=comparison.id)

    ids = sorted(candidate.id for candidate in candidates)
    assert len(row.runs) == 6
    asked = [tuple(run["order"]) for run in row.runs]
    assert asked == [
        (ids[0], ids[1]), (ids[1], ids[0]), (ids[0], ids[2]), (ids[2], ids[0]), (ids[1], ids[2]), (ids[2], ids[1])
    ]  # fmt: skip
    for forward, reverse in zip(row.runs[::2], row.runs[1::2], strict=True):
        _check_run_pair(forward, reverse, forward["order"])
    if row.status == JudgeRanking.Status.DONE:
        assert [(pair["a"], pair["b"]) for pair in row.pairs] == [(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])]
        assert row.swap_consistent == all(pair["first"] == pair["second"] for pair in row.pairs)
    else:
        assert row.last_error and row.status == JudgeRanking.Status.PENDING


def test_naming_a_judge_has_the_sweep_judge_the_comparisons_already_ready(celery_worker, model_server):
    project = ProjectFactory(k=2)
    ready = [ComparisonFactory(project=project, with_candidates=True) for _ in range(2)]
    ComparisonFactory(project=project, status=Comparison.Status.PENDING)

    judge_save(project=project, base_url=model_server, model="smollm2", max_tokens=16)

    def all_asked() -> bool:
        rows = JudgeRanking.objects.filter(project=project)
        return rows.count() == 2 and all(row.attempts >= 1 for row in rows)

    celery_worker.wait_for(all_asked, timeout=180)
    for comparison in ready:
        row = JudgeRanking.objects.get(comparison=comparison)
        _check_run_pair(*row.runs, list(comparison.candidates.values_list("id", flat=True)))
