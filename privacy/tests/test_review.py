"""Trainers confirm, dismiss and mark personal data; the screen highlights it without running any of it."""

import pytest
from django.urls import reverse

from labeler.models import Candidate, Membership
from labeler.queue import assignment_lease_next
from labeler.tests.factories import ComparisonFactory, MembershipFactory
from privacy.highlight import ShownSpan, highlight
from privacy.models import PiiSpan
from privacy.review import pii_span_mark
from privacy.scanning import pii_scan_project, value_hash
from ranklab.errors import RankLabError


def test_a_highlighted_text_is_escaped_around_and_inside_the_marks():
    text = '<script>alert(1)</script> mail <b onclick="x">ann@example.com</b>'
    start = text.index("<b")
    html = highlight(text, [ShownSpan(7, 'EMAIL_ADDRESS"><script>', start, len(text), "detected")])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-type="EMAIL_ADDRESS&quot;&gt;&lt;script&gt;"' in html
    assert "&lt;b onclick=&quot;x&quot;&gt;ann@example.com&lt;/b&gt;</mark>" in html


def test_overlapping_spans_are_marked_once():
    html = highlight(
        "call 0123456789", [ShownSpan(1, "PHONE_NUMBER", 5, 15, "detected"), ShownSpan(2, "US_SSN", 6, 15, "detected")]
    )
    assert html.count("<mark") == 1


@pytest.fixture
def comparison(project):
    comparison = ComparisonFactory(project=project, prompt_message__content="Mail ann@example.com, ask for Mr Qwerty.")
    Candidate.objects.create(comparison=comparison, sample_index=0, text="Qwerty and Qwerty again", content_hash="a")
    pii_scan_project(project_id=project.id)
    return comparison


@pytest.mark.django_db
def test_marking_a_missed_value_marks_each_occurrence(project, trainer, comparison):
    candidate = comparison.candidates.get()
    marked = pii_span_mark(
        project=project, user=trainer, target=f"candidate:{candidate.id}", value="Qwerty", entity_type="PERSON"
    )
    assert [(span.start, span.end, span.status, span.decided_by) for span in marked] == [
        (0, 6, "added", trainer),
        (11, 17, "added", trainer),
    ]
    assert {span.value_hash for span in marked} == {value_hash("PERSON", "qwerty")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"value": "Qwerty", "entity_type": "NOPE"}, "entity_type: choose one of"),
        ({"value": "", "entity_type": "PERSON"}, "value: select between 1 and 500"),
        ({"value": "Zed", "entity_type": "PERSON"}, "value: the selected text is not in this message"),
        (
            {"value": "Qwerty", "entity_type": "PERSON", "target": "candidate:0"},
            "target: name a message or a candidate",
        ),
    ],
)
def test_a_mark_that_cannot_be_made_names_its_field(project, trainer, comparison, fields, error):
    target = fields.pop("target", f"candidate:{comparison.candidates.get().id}")
    with pytest.raises(RankLabError, match=error):
        pii_span_mark(project=project, user=trainer, target=target, **fields)


@pytest.mark.django_db
def test_a_trainer_confirms_and_dismisses_through_the_screens_calls(trainer_client, trainer, project, comparison):
    assignment_lease_next(project=project, trainer=trainer)
    span = PiiSpan.objects.get(entity_type="EMAIL_ADDRESS")
    url = reverse("pii_span_decide", args=[project.slug, span.id])
    assert trainer_client.post(url, {"decision": "confirm"}).json() == {
        "ok": True,
        "span": span.id,
        "status": "confirmed",
    }
    span.refresh_from_db()
    assert (span.status, span.decided_by) == ("confirmed", trainer)
    refused = trainer_client.post(url, {"decision": "maybe"})
    assert (refused.status_code, refused.json()["error"]) == (400, "decision: choose confirm or dismiss.")


@pytest.mark.django_db
def test_the_ranking_screen_marks_the_spans_of_the_prompt_and_the_candidates(trainer_client, project, comparison):
    page = trainer_client.get(reverse("rank_next", args=[project.slug])).text
    assert 'data-type="EMAIL_ADDRESS"' in page
    assert f'data-pii-target="message:{comparison.prompt_message_id}"' in page
    PiiSpan.objects.update(status="dismissed")
    assert 'data-type="EMAIL_ADDRESS"' not in trainer_client.get(reverse("rank_next", args=[project.slug])).text


@pytest.mark.django_db
def test_the_screens_calls_are_a_404_to_another_projects_members(outsider_client, project, comparison):
    span = PiiSpan.objects.get(entity_type="EMAIL_ADDRESS")
    decide = outsider_client.post(reverse("pii_span_decide", args=[project.slug, span.id]), {"decision": "dismiss"})
    assert decide.status_code == 404
    target = f"message:{comparison.prompt_message_id}"
    mark = outsider_client.post(
        reverse("pii_span_mark", args=[project.slug]), {"target": target, "value": "Qwerty", "entity_type": "PERSON"}
    )
    assert mark.status_code == 404
    span.refresh_from_db()
    assert span.status == "detected"
    assert not PiiSpan.objects.filter(status="added").exists()


@pytest.mark.django_db
def test_a_span_of_another_project_is_a_404_to_a_member(trainer_client, project, comparison):
    other = ComparisonFactory(prompt_message__content="Write to bob@example.com")
    pii_scan_project(project_id=other.project_id)
    span = PiiSpan.objects.get(project=other.project)
    assert (
        trainer_client.post(
            reverse("pii_span_decide", args=[project.slug, span.id]), {"decision": "dismiss"}
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_a_trainer_of_the_project_who_was_never_shown_the_comparison_gets_a_404(client, project, trainer, comparison):
    assignment_lease_next(project=project, trainer=trainer)
    bystander = MembershipFactory(project=project, role=Membership.Role.TRAINER).user
    client.force_login(bystander)
    span = PiiSpan.objects.get(entity_type="EMAIL_ADDRESS")
    decide = client.post(reverse("pii_span_decide", args=[project.slug, span.id]), {"decision": "dismiss"})
    mark = client.post(
        reverse("pii_span_mark", args=[project.slug]),
        {"target": f"candidate:{comparison.candidates.get().id}", "value": "Qwerty", "entity_type": "PERSON"},
    )
    assert (decide.status_code, mark.status_code) == (404, 404)
    span.refresh_from_db()
    assert span.status == "detected"
    assert not PiiSpan.objects.filter(status="added").exists()


@pytest.mark.django_db
def test_a_lead_and_the_trainer_who_held_the_comparison_may_review_its_spans(
    client, project, trainer, lead, comparison
):
    assignment_lease_next(project=project, trainer=trainer)
    span = PiiSpan.objects.get(entity_type="EMAIL_ADDRESS")
    url = reverse("pii_span_decide", args=[project.slug, span.id])
    for user, decision in ((trainer, "dismiss"), (lead, "confirm")):
        client.force_login(user)
        assert client.post(url, {"decision": decision}).json()["ok"]
    client.force_login(trainer)
    mark = client.post(
        reverse("pii_span_mark", args=[project.slug]),
        {"target": f"message:{comparison.prompt_message_id}", "value": "Qwerty", "entity_type": "PERSON"},
    )
    assert mark.json()["ok"]
