"""Chat projects: turn by turn, ranked, continued, branched; never overwritten, never duplicated."""

import pytest
from django.urls import reverse

from labeler.models import Assignment, Comparison, Message
from labeler.queue import assignment_lease_next
from labeler.tests.factories import MembershipFactory
from rankings import chat
from rankings.chat import StaleConversation, chat_step, conversation_start
from rankings.models import Ranking
from rankings.tests.chat_data import chat_project, fresh, go_on, rank_best_first, sampled, turn
from rankings.tests.factories import submit, trainers_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(project, trainer):
    chat_project(project, system_prompt="You are a helpful assistant.")
    return conversation_start(project=project, trainer=trainer)


def test_a_conversation_starts_from_the_projects_system_prompt(conversation):
    [root] = conversation.messages.all()
    assert (root.role, root.content, root.parent_id) == ("system", "You are a helpful assistant.", None)
    assert fresh(conversation).head == root


def test_a_scenario_opens_the_first_turn(project, trainer):
    chat_project(project, scenarios=["Plan a trip to Kyoto.", "Explain tides."])
    conversation = conversation_start(project=project, trainer=trainer, scenario=1)
    assert conversation.metadata == {"scenario": "Explain tides."}
    with pytest.raises(chat.RankLabError, match="no such scenario"):
        conversation_start(project=project, trainer=trainer, scenario=2)


def test_a_user_turn_makes_a_comparison_leased_to_its_trainer_before_it_is_sampled(conversation, trainer):
    comparison = chat.chat_turn_write(
        conversation=fresh(conversation), trainer=trainer, text=" Hi! ", revision=fresh(conversation).revision
    )
    assert comparison.status == Comparison.Status.PENDING
    assert comparison.prompt_message.content == "Hi!"
    assert comparison.prompt_message.parent.role == "system"
    [lease] = comparison.assignments.all()
    assert (lease.trainer, lease.status, lease.display_order) == (trainer, Assignment.Status.ACTIVE, [])
    assert chat_step(conversation=fresh(conversation), trainer=trainer).kind == "sampling"


def test_the_leases_display_order_is_filled_when_the_answers_are_in(conversation, trainer):
    comparison, candidates = turn(conversation, trainer, "Hi", ["a", "b", "c"])
    lease = comparison.assignments.get()
    assert sorted(lease.display_order) == sorted(candidate.id for candidate in candidates)
    step = chat_step(conversation=fresh(conversation), trainer=trainer)
    assert (step.kind, step.assignment) == ("rank", lease)


def test_a_double_submitted_turn_is_one_turn(conversation, trainer):
    revision = fresh(conversation).revision
    first = chat.chat_turn_write(conversation=fresh(conversation), trainer=trainer, text="Hello", revision=revision)
    again = chat.chat_turn_write(conversation=fresh(conversation), trainer=trainer, text="Hello", revision=revision)
    assert first == again
    assert Message.objects.filter(role="user").count() == Comparison.objects.count() == 1


def test_a_stale_tab_is_told_and_nothing_is_written(conversation, trainer):
    revision = fresh(conversation).revision
    chat.chat_turn_write(conversation=fresh(conversation), trainer=trainer, text="From tab one", revision=revision)
    with pytest.raises(StaleConversation, match="another tab"):
        chat.chat_turn_write(conversation=fresh(conversation), trainer=trainer, text="From tab two", revision=revision)
    assert list(Message.objects.filter(role="user").values_list("content", flat=True)) == ["From tab one"]


def test_it_continues_with_the_ranked_best_and_refuses_before_the_ranking(conversation, trainer):
    comparison, (a, b, c) = turn(conversation, trainer, "Name a colour.", ["Red.", "Blue.", "Green."])
    with pytest.raises(chat.RankLabError, match="Rank this turn"):
        go_on(conversation, trainer, b)
    rank_best_first(comparison, trainer, [b, a, c])
    step = chat_step(conversation=fresh(conversation), trainer=trainer)
    assert (step.kind, step.top, step.others) == ("continue", [b], [a, c])
    message = go_on(conversation, trainer, b)
    assert (message.role, message.content, message.candidate, message.answers) == ("assistant", "Blue.", b, comparison)
    assert message.parent == comparison.prompt_message
    assert fresh(conversation).head == message
    assert chat_step(conversation=fresh(conversation), trainer=trainer).kind == "write"


def test_a_double_clicked_continue_makes_one_turn(conversation, trainer):
    comparison, (a, b, c) = turn(conversation, trainer, "Hi", ["x", "y", "z"])
    rank_best_first(comparison, trainer, [a, b, c])
    revision = fresh(conversation).revision
    first = chat.chat_continue(conversation=fresh(conversation), trainer=trainer, candidate_id=a.id, revision=revision)
    again = chat.chat_continue(conversation=fresh(conversation), trainer=trainer, candidate_id=a.id, revision=revision)
    assert first == again
    assert Message.objects.filter(role="assistant").count() == 1


def test_a_tie_at_the_top_lets_the_trainer_pick(conversation, trainer):
    comparison, (a, b, c) = turn(conversation, trainer, "Hi", ["x", "y", "z"])
    assignment = comparison.assignments.get()
    submit(assignment, tiers=[[a.id, c.id], [b.id]])
    step = chat_step(conversation=fresh(conversation), trainer=trainer)
    assert sorted(candidate.id for candidate in step.top) == sorted([a.id, c.id])
    assert go_on(conversation, trainer, c).candidate == c


def test_a_better_answer_is_a_demonstration_edited_from_the_top_candidate(conversation, trainer):
    comparison, (a, b, c) = turn(conversation, trainer, "2+2?", ["5", "4", "four-ish"])
    rank_best_first(comparison, trainer, [b, c, a])
    current = fresh(conversation)
    message = chat.chat_answer_write(
        conversation=current,
        trainer=trainer,
        comparison_id=comparison.id,
        text="2 + 2 = 4.",
        edited_from=b.id,
        revision=current.revision,
    )
    assert (message.is_demonstration, message.author, message.candidate, message.answers) == (
        True,
        trainer,
        b,
        comparison,
    )
    assert fresh(conversation).head == message
    again = chat.chat_answer_write(
        conversation=fresh(conversation),
        trainer=trainer,
        comparison_id=comparison.id,
        text="2 + 2 = 4.",
        edited_from=b.id,
        revision=current.revision,
    )
    assert again == message


def test_going_back_and_writing_another_message_keeps_both_branches(conversation, trainer):
    first, (a, b, c) = turn(conversation, trainer, "Turn one", ["1a", "1b", "1c"])
    rank_best_first(first, trainer, [a, b, c])
    answer = go_on(conversation, trainer, a)
    second, (d, e, f) = turn(conversation, trainer, "Turn two", ["2a", "2b", "2c"])
    rank_best_first(second, trainer, [d, e, f])
    go_on(conversation, trainer, d)

    current = fresh(conversation)
    chat.chat_head_move(conversation=current, message_id=answer.id, revision=current.revision)
    other, _ = turn(conversation, trainer, "Turn two, said differently", ["x", "y", "z"])
    assert other.prompt_message.parent == answer
    assert set(answer.children.values_list("content", flat=True)) == {"Turn two", "Turn two, said differently"}

    current = fresh(conversation)
    chat.chat_head_move(conversation=current, message_id=second.prompt_message_id, revision=current.revision)
    assert chat_step(conversation=fresh(conversation), trainer=trainer).kind == "continue"
    go_on(conversation, trainer, e)
    assert set(second.prompt_message.children.values_list("content", flat=True)) == {"2a", "2b"}
    tree = chat.conversation_tree(conversation=fresh(conversation))
    assert [node.message.role for node in tree] == ["system"]
    assert Message.objects.filter(conversation=conversation).count() == 1 + 2 + 2 + 1 + 1


def test_the_turn_limit_stops_new_turns(project, trainer):
    chat_project(project, turn_limit=1)
    conversation = conversation_start(project=project, trainer=trainer)
    comparison, (a, b, c) = turn(conversation, trainer, "Only turn", ["a", "b", "c"])
    rank_best_first(comparison, trainer, [a, b, c])
    go_on(conversation, trainer, a)
    assert chat_step(conversation=fresh(conversation), trainer=trainer).kind == "limit"
    with pytest.raises(chat.RankLabError, match="limit of 1 turns"):
        turn(conversation, trainer, "One more", ["a", "b", "c"])


def test_ending_records_the_rating_and_refuses_further_turns(conversation, trainer):
    current = fresh(conversation)
    with pytest.raises(chat.RankLabError, match="from 1 to 7"):
        chat.conversation_end(conversation=current, rating=9, revision=current.revision)
    chat.conversation_end(conversation=current, rating=6, revision=current.revision)
    ended = fresh(conversation)
    assert (ended.rating, ended.ended_at is not None) == (6, True)
    with pytest.raises(StaleConversation, match="ended"):
        chat.chat_turn_write(conversation=ended, trainer=trainer, text="More", revision=ended.revision)


def test_with_overlap_one_the_turn_never_enters_anyone_elses_queue(conversation, project, trainer):
    [other] = trainers_of(project, 1)
    turn(conversation, trainer, "Mine", ["a", "b", "c"])
    assert assignment_lease_next(project=project, trainer=other) is None


def test_with_overlap_two_another_trainer_ranks_the_turn_from_the_queue(conversation, project, trainer):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    [other] = trainers_of(project, 1)
    comparison, (a, b, c) = turn(conversation, trainer, "Ours", ["a", "b", "c"])
    lease = assignment_lease_next(project=project, trainer=other)
    assert lease.comparison == comparison and sorted(lease.display_order) == sorted([a.id, b.id, c.id])
    rank_best_first(comparison, trainer, [a, b, c])
    go_on(conversation, trainer, a)
    submit(lease, tiers=[[c.id], [b.id], [a.id]], confirmed_display_order=True)
    comparison.refresh_from_db()
    assert comparison.status == Comparison.Status.COMPLETE
    assert Ranking.objects.filter(comparison=comparison).count() == 2


def test_a_failed_turn_is_retried(conversation, trainer, django_capture_on_commit_callbacks):
    comparison = chat.chat_turn_write(
        conversation=fresh(conversation), trainer=trainer, text="Hi", revision=fresh(conversation).revision
    )
    Comparison.objects.filter(id=comparison.id).update(status="failed", failure_reason="HTTP 500 from the server")
    step = chat_step(conversation=fresh(conversation), trainer=trainer)
    assert step.kind == "failed"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        chat.chat_turn_retry(conversation=conversation, comparison_id=comparison.id)
    comparison.refresh_from_db()
    assert (comparison.status, comparison.failure_reason, len(callbacks)) == ("pending", "", 1)


# The pages: every URL answers 404 to a user of another project, and to another trainer of this one.


@pytest.fixture
def started(conversation, trainer):
    comparison, _ = turn(conversation, trainer, "Hi", ["x", "y", "z"])
    return conversation, comparison, comparison.assignments.get()


def chat_urls(project, conversation, assignment) -> list[tuple[str, str]]:
    at = [project.slug, conversation.id]
    return [
        ("get", reverse("chat_list", args=[project.slug])),
        ("post", reverse("chat_start", args=[project.slug])),
        ("get", reverse("chat_detail", args=at)),
        ("post", reverse("chat_turn", args=at)),
        ("post", reverse("chat_rank", args=[*at, assignment.id])),
        ("post", reverse("chat_continue", args=at)),
        ("post", reverse("chat_answer", args=at)),
        ("post", reverse("chat_branch", args=at)),
        ("post", reverse("chat_retry", args=at)),
        ("post", reverse("chat_end", args=at)),
    ]


def test_every_chat_url_is_a_404_to_a_user_of_another_project(client, outsider, project, started):
    conversation, _, assignment = started
    client.force_login(outsider)
    for method, url in chat_urls(project, conversation, assignment):
        assert getattr(client, method)(url).status_code == 404, url


def test_a_conversation_is_a_404_to_another_trainer_of_the_project(client, project, started):
    conversation, _, assignment = started
    [other] = trainers_of(project, 1)
    client.force_login(other)
    for method, url in chat_urls(project, conversation, assignment)[2:]:
        assert getattr(client, method)(url).status_code == 404, url


def test_chat_pages_are_a_404_in_a_project_that_is_not_a_chat_project(client, trainer):
    membership = MembershipFactory(user=trainer)
    client.force_login(trainer)
    assert client.get(reverse("chat_list", args=[membership.project.slug])).status_code == 404


def test_the_page_walks_a_turn_through_ranking_and_continuing(client, project, trainer, started):
    conversation, _, assignment = started
    client.force_login(trainer)
    url = reverse("chat_detail", args=[project.slug, conversation.id])
    page = client.get(url)
    assert page.context["step"].kind == "rank"
    assert f'action="{reverse("chat_rank", args=[project.slug, conversation.id, assignment.id])}"' in page.text
    assert "skip-form" not in page.text
    order = list(reversed(assignment.display_order))
    response = client.post(
        reverse("chat_rank", args=[project.slug, conversation.id, assignment.id]),
        {"tiers": str([[candidate] for candidate in order]), "duration_ms": "1000"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204 and response["HX-Redirect"] == url
    page = client.get(url)
    assert page.context["step"].kind == "continue"
    response = client.post(
        reverse("chat_continue", args=[project.slug, conversation.id]),
        {"candidate": order[0], "revision": fresh(conversation).revision},
    )
    assert response.status_code == 302
    assert fresh(conversation).head.candidate_id == order[0]


def test_a_stale_form_comes_back_with_a_message_not_a_write(client, project, trainer, started):
    conversation, _, _ = started
    client.force_login(trainer)
    response = client.post(
        reverse("chat_turn", args=[project.slug, conversation.id]), {"text": "Another", "revision": "0"}, follow=True
    )
    assert "changed in another tab" in response.text
    assert Message.objects.filter(role="user").count() == 1


def test_model_names_stay_hidden_until_the_conversation_ends(client, project, trainer, conversation):
    comparison, (a, b, c) = turn(conversation, trainer, "Hi", ["x", "y", "z"])
    rank_best_first(comparison, trainer, [a, b, c])
    go_on(conversation, trainer, a)
    client.force_login(trainer)
    url = reverse("chat_detail", args=[project.slug, conversation.id])
    assert "model-0" not in client.get(url).text
    current = fresh(conversation)
    chat.conversation_end(conversation=current, rating=None, revision=current.revision)
    assert "model-0" in client.get(url).text


def test_hostile_text_in_a_turn_is_shown_as_text(client, project, trainer, conversation):
    turn(conversation, trainer, "<script>alert(1)</script> **hi**", ["<img src=x onerror=alert(1)>", "b", "c"])
    client.force_login(trainer)
    text = client.get(reverse("chat_detail", args=[project.slug, conversation.id])).text
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "<strong>hi</strong>" in text


def test_polling_a_sampled_turn_ranking_it_and_continuing_take_few_queries(
    client, project, trainer, conversation, django_assert_max_num_queries, django_assert_num_queries
):
    comparison = chat.chat_turn_write(
        conversation=fresh(conversation), trainer=trainer, text="Hi", revision=fresh(conversation).revision
    )
    client.force_login(trainer)
    url = reverse("chat_detail", args=[project.slug, conversation.id]) + "?part=step"
    client.get(url, headers={"HX-Request": "true"})
    with django_assert_max_num_queries(6):
        assert 'data-step="sampling"' in client.get(url, headers={"HX-Request": "true"}).text
    a, b, c = sampled(comparison, ["x", "y", "z"])
    assignment = comparison.assignments.get(trainer=trainer)
    # The user, the membership, the conversation with its turn, then the submission itself (see
    # rankings/tests/test_submission_validation.py) and, as it completes the turn, its webhooks.
    with django_assert_num_queries(14):
        response = client.post(
            reverse("chat_rank", args=[project.slug, conversation.id, assignment.id]),
            {"tiers": str([[a.id], [b.id], [c.id]]), "duration_ms": "1000", "confirmed": "1"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 204
    revision = fresh(conversation).revision
    with django_assert_max_num_queries(11):
        response = client.post(
            reverse("chat_continue", args=[project.slug, conversation.id]), {"candidate": a.id, "revision": revision}
        )
    assert response.status_code == 302
