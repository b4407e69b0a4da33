"""Candidates of comparable length: the instruction and cap sent, and the longest outlier resampled once."""

import pytest
from django.urls import reverse

from labeler.models import Comparison, ModelEndpoint
from labeler.sampling.client import TransientSamplingError
from labeler.sampling.length import length_outlier, with_length_instruction
from labeler.sampling.sampler import comparison_sample
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory, ProjectFactory
from labeler.tests.fakeserver import Reply

pytestmark = pytest.mark.django_db


def pending(project):
    return ComparisonFactory(project=project, status=Comparison.Status.PENDING)


def test_the_instruction_goes_at_the_end_of_the_system_message_or_in_a_new_one():
    user = {"role": "user", "content": "Hi"}
    system = {"role": "system", "content": "Be kind."}
    assert with_length_instruction([system, user], 30) == [
        {"role": "system", "content": "Be kind.\n\nAnswer in about 30 words."},
        user,
    ]
    assert with_length_instruction([user], 30) == [{"role": "system", "content": "Answer in about 30 words."}, user]
    assert with_length_instruction([user], None) == [user]


def test_the_outlier_is_the_longest_when_it_exceeds_the_bound_times_the_median_of_the_others():
    assert length_outlier({0: 10, 1: 12, 2: 40}, ratio=3) == 2
    assert length_outlier({0: 10, 1: 12, 2: 33}, ratio=3) is None
    assert length_outlier({0: 0, 1: 0, 2: 5}, ratio=2) == 2
    assert length_outlier({0: 7, 1: 7}, ratio=1) is None


def test_the_real_server_is_asked_for_the_length_and_capped(model_server):
    plain = ProjectFactory(k=2)
    ModelEndpointFactory(project=plain, base_url=model_server, system_prompt="Be helpful.", max_tokens=24)
    asked = ProjectFactory(k=2, length_words=10, length_max_tokens=6)
    ModelEndpointFactory(project=asked, base_url=model_server, system_prompt="Be helpful.", max_tokens=24)
    unasked, shaped = pending(plain), pending(asked)
    shaped.prompt_message.content = unasked.prompt_message.content
    shaped.prompt_message.save(update_fields=["content"])

    assert comparison_sample(comparison_id=unasked.id) == Comparison.Status.READY
    assert comparison_sample(comparison_id=shaped.id) == Comparison.Status.READY

    for candidate in shaped.candidates.all():
        assert 0 < candidate.completion_tokens <= 6
        assert candidate.params["max_tokens"] == 6
        assert candidate.params["length_control"] == {"instruction": "Answer in about 10 words.", "max_tokens": 6}
    # The same conversation with the instruction added to the system message: more prompt tokens.
    assert shaped.candidates.first().prompt_tokens > unasked.candidates.first().prompt_tokens
    assert all("length_control" not in candidate.params for candidate in unasked.candidates.all())


def test_the_real_servers_longest_outlier_is_resampled_once_and_the_shorter_answer_kept(model_server):
    project = ProjectFactory(k=3, length_resample_ratio=1.0)
    ModelEndpointFactory(
        project=project, base_url=model_server, max_tokens=32, seed_policy=ModelEndpoint.SeedPolicy.FIXED
    )
    comparison = pending(project)

    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY

    candidates = list(comparison.candidates.order_by("sample_index"))
    (resampled,) = [c for c in candidates if "length_resample" in c.params]
    record = resampled.params["length_resample"]
    others = sorted(len(c.text) for c in candidates if c != resampled)
    assert record["median_chars_of_others"] == sum(others) / 2
    assert record["first_chars"] > record["bound"] * record["median_chars_of_others"]
    assert len(resampled.text) == min(record["first_chars"], record["resampled_chars"])
    assert record["kept"] == ("resample" if record["resampled_chars"] < record["first_chars"] else "first")
    assert record["resampled_seed"] != record["first_seed"]

    # A run handed out again (its worker lost after the resample) resamples nothing more.
    Comparison.objects.filter(id=comparison.id).update(status=Comparison.Status.PENDING)
    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY
    resampled.refresh_from_db()
    assert resampled.params["length_resample"] == record


def test_a_resample_that_fails_for_now_is_retried_and_then_done_once(fake_model_server):
    project = ProjectFactory(k=3, length_resample_ratio=2.0)
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url)
    comparison = pending(project)
    fake_model_server.script(
        Reply.ok(text="short one"), Reply.ok(text="short two"), Reply.ok(text="long " * 40), Reply.status(503)
    )

    with pytest.raises(TransientSamplingError):
        comparison_sample(comparison_id=comparison.id)

    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.PENDING
    assert comparison.candidates.count() == 3
    fake_model_server.script(Reply.ok(text="brief"))
    assert comparison_sample(comparison_id=comparison.id) == Comparison.Status.READY
    texts = sorted(comparison.candidates.values_list("text", flat=True))
    assert texts == ["brief", "short one", "short two"]
    record = comparison.candidates.get(text="brief").params["length_resample"]
    assert (record["first_chars"], record["resampled_chars"], record["kept"]) == (200, 5, "resample")
    assert len(fake_model_server.requests) == 5


def test_a_lead_sets_the_length_options_on_the_settings_page(lead_client, project):
    data = {
        "name": project.name,
        "kind": "comparison",
        "k": 3,
        "overlap": 1,
        "lease_minutes": 15,
        "flags": "wrong: Wrong",
        "length_words": 40,
        "length_max_tokens": 80,
        "length_resample_ratio": 2.5,
    }
    assert lead_client.post(reverse("project_settings", args=[project.slug]), data).status_code == 302
    project.refresh_from_db()
    assert (project.length_words, project.length_max_tokens, project.length_resample_ratio) == (40, 80, 2.5)
    refused = lead_client.post(reverse("project_settings", args=[project.slug]), {**data, "length_resample_ratio": 0.5})
    assert "greater than or equal to 1" in refused.text
