"""Chat projects: a trainer talks to the models and ranks K alternatives at every turn.

The trainer writes a user turn; it becomes a comparison whose candidates are sampled as for
imported prompts, with a lease for this trainer made at once (so the queue never hands the
turn's last place to someone else while it is sampled). The trainer ranks it on the usual
screen, then continues with a candidate or writes a better answer (a demonstration), and
writes the next user turn. Going back to an earlier message and going on from there makes a
branch: messages are only ever added, never changed.

Every write locks the conversation row and compares the revision the page was drawn from with
the current one: a second tab on an older page is told, not obeyed. A repeat of a write that
already happened (a double click, a resent form) returns what the first one made.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from labeler.models import Assignment, Candidate, Comparison, Conversation, Message, ModelEndpoint, Project
from labeler.sampling.queueing import enqueue_comparison_sampling
from rankings.models import Ranking
from ranklab.errors import RankLabError
from safety.verdicts import verdict_open_for_message

# A turn is the trainer's own: their lease on it outlasts any pause in the conversation.
TURN_LEASE = timedelta(days=7)
MAX_RATING = 7


class StaleConversation(RankLabError):
    """The conversation changed since this page was drawn (another tab, or an earlier click)."""


def conversation_start(*, project: Project, trainer, scenario: int | None = None) -> Conversation:
    """A new, empty chat conversation of the trainer; the project's system prompt is its root."""
    opening = ""
    if scenario is not None:
        if not 0 <= scenario < len(project.scenarios):
            raise RankLabError("There is no such scenario in this project.")
        opening = project.scenarios[scenario]
    with transaction.atomic():
        conversation = Conversation.objects.create(
            project=project,
            external_id=f"chat-{uuid.uuid4().hex[:16]}",
            created_by=trainer,
            metadata={"scenario": opening} if opening else {},
        )
        if project.system_prompt:
            root = Message.objects.create(
                conversation=conversation, role=Message.Role.SYSTEM, content=project.system_prompt
            )
            conversation.head = root
            conversation.save(update_fields=["head"])
    return conversation


def chat_turn_write(*, conversation: Conversation, trainer, text: str, revision: int) -> Comparison:
    """The trainer's next user turn, its comparison, the trainer's lease on it; sampling starts after commit."""
    text = _checked_text(text, what="your message")
    with transaction.atomic():
        conversation = _locked(conversation)
        head = conversation.head
        if (
            revision == conversation.revision - 1
            and head is not None
            and head.role == Message.Role.USER
            and head.content == text
        ):
            return Comparison.objects.get(prompt_message=head)
        _check_current(conversation, revision)
        if head is not None and head.role == Message.Role.USER:
            raise RankLabError("Rank this turn's answers and continue before writing the next message.")
        if user_turns(conversation=conversation, message=head) >= conversation.project.turn_limit:
            raise RankLabError(
                f"This conversation has reached the project's limit of {conversation.project.turn_limit} turns."
            )
        message = Message.objects.create(
            conversation=conversation, parent=head, role=Message.Role.USER, content=text, author=trainer
        )
        comparison = Comparison.objects.create(
            project=conversation.project, conversation=conversation, prompt_message=message
        )
        Assignment.objects.create(
            comparison=comparison, trainer=trainer, display_order=[], expires_at=timezone.now() + TURN_LEASE
        )
        _move_head(conversation, message)
        enqueue_comparison_sampling(comparison_id=comparison.id)
        verdict_open_for_message(message=message, comparison=comparison)
    return comparison


def chat_continue(*, conversation: Conversation, trainer, candidate_id: int, revision: int) -> Message:
    """Continue the conversation with one candidate of the current turn, which the trainer has ranked."""
    with transaction.atomic():
        conversation = _locked(conversation)
        candidate = (
            Candidate.objects.select_related("comparison")
            .filter(id=candidate_id, comparison__conversation=conversation)
            .first()
        )
        if candidate is None:
            raise RankLabError("That answer does not belong to this conversation.")
        comparison = candidate.comparison
        existing = Message.objects.filter(answers=comparison, candidate=candidate, is_demonstration=False).first()
        if existing is not None and conversation.head_id == existing.id:
            return existing
        _check_turn(conversation, comparison, revision)
        if not Ranking.objects.filter(comparison=comparison, trainer=trainer).exists():
            raise RankLabError("Rank this turn's answers first.")
        message = existing or Message.objects.create(
            conversation=conversation,
            parent_id=comparison.prompt_message_id,
            role=Message.Role.ASSISTANT,
            content=candidate.text,
            answers=comparison,
            candidate=candidate,
        )
        _move_head(conversation, message)
    return message


def chat_answer_write(
    *, conversation: Conversation, trainer, comparison_id: int, text: str, edited_from: int | None, revision: int
) -> Message:
    """The trainer's own, better answer to a turn: a demonstration that continues the conversation."""
    text = _checked_text(text, what="your answer")
    with transaction.atomic():
        conversation = _locked(conversation)
        comparison = Comparison.objects.filter(id=comparison_id, conversation=conversation).first()
        if comparison is None:
            raise RankLabError("There is no such turn in this conversation.")
        existing = Message.objects.filter(answers=comparison, is_demonstration=True, content=text).first()
        if existing is not None and conversation.head_id == existing.id:
            return existing
        _check_turn(conversation, comparison, revision)
        if not Ranking.objects.filter(comparison=comparison, trainer=trainer).exists():
            raise RankLabError("Rank this turn's answers first: your answer is ranked above all of them.")
        if existing is not None:
            _move_head(conversation, existing)
            return existing
        source = None
        if edited_from is not None:
            source = comparison.candidates.filter(id=edited_from).first()
            if source is None:
                raise RankLabError("The answer you edited does not belong to this turn.")
        message = Message.objects.create(
            conversation=conversation,
            parent_id=comparison.prompt_message_id,
            role=Message.Role.ASSISTANT,
            content=text,
            author=trainer,
            answers=comparison,
            candidate=source,
            is_demonstration=True,
        )
        _move_head(conversation, message)
    return message


def chat_head_move(*, conversation: Conversation, message_id: int | None, revision: int) -> None:
    """Go to another message of the tree (None: before the first turn) to go on from there."""
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.head_id == message_id:
            return
        _check_current(conversation, revision)
        target = None
        if message_id is not None:
            target = conversation.messages.filter(id=message_id).first()
            if target is None:
                raise RankLabError("There is no such message in this conversation.")
        elif conversation.messages.filter(role=Message.Role.SYSTEM, parent=None).exists():
            raise RankLabError("A conversation with a system prompt starts from it.")
        _move_head(conversation, target)


def conversation_end(*, conversation: Conversation, rating: int | None, revision: int) -> Conversation:
    """End the conversation, with an optional rating of the whole of it (1 to 7)."""
    if rating is not None and not 1 <= rating <= MAX_RATING:
        raise RankLabError(f"Rate the conversation from 1 to {MAX_RATING}, or leave the rating out.")
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.ended_at is not None:
            return conversation
        _check_current(conversation, revision)
        conversation.ended_at, conversation.rating = timezone.now(), rating
        conversation.revision += 1
        conversation.save(update_fields=["ended_at", "rating", "revision"])
    return conversation


def chat_turn_retry(*, conversation: Conversation, comparison_id: int) -> Comparison:
    """Sample the missing answers of a failed turn again; the answers already there stay."""
    with transaction.atomic():
        comparison = (
            Comparison.objects.select_for_update()
            .filter(conversation=conversation, id=comparison_id, status=Comparison.Status.FAILED)
            .first()
        )
        if comparison is None:
            raise RankLabError("This turn is not waiting for a retry.")
        comparison.status, comparison.failure_reason, comparison.sampling_started_at = (
            Comparison.Status.PENDING,
            "",
            None,
        )
        comparison.save(update_fields=["status", "failure_reason", "sampling_started_at", "updated_at"])
        enqueue_comparison_sampling(comparison_id=comparison.id)
    return comparison


def user_turns(*, conversation: Conversation, message: Message | None) -> int:
    """How many user turns the branch from the root down to `message` holds."""
    return sum(1 for node in branch_to(conversation=conversation, message=message) if node.role == Message.Role.USER)


def branch_to(*, conversation: Conversation, message: Message | None) -> list[Message]:
    """The messages from the root down to `message`."""
    if message is None:
        return []
    by_id = {node.id: node for node in conversation.messages.all()}
    chain, node = [], by_id.get(message.id)
    while node is not None:
        chain.append(node)
        node = by_id.get(node.parent_id)
    return chain[::-1]


def _locked(conversation: Conversation) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",)).select_related("project", "head").get(id=conversation.id)
    )


def _check_current(conversation: Conversation, revision: int) -> None:
    if conversation.ended_at is not None:
        raise StaleConversation("This conversation has ended.")
    if revision != conversation.revision:
        raise StaleConversation(
            "This conversation changed in another tab or window since this page was shown: here it is as it stands now."
        )


def _check_turn(conversation: Conversation, comparison: Comparison, revision: int) -> None:
    """The page is current and the conversation is at this turn, waiting for its answer."""
    _check_current(conversation, revision)
    if conversation.head_id != comparison.prompt_message_id:
        raise StaleConversation("This turn is not the one the conversation is at: here it is as it stands.")


def _move_head(conversation: Conversation, message: Message | None) -> None:
    conversation.head = message
    conversation.revision += 1
    conversation.save(update_fields=["head", "revision"])


def _checked_text(text: str, *, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise RankLabError(f"Write {what} first.")
    if len(text) > settings.RANKLAB_IMPORT_MAX_MESSAGE_CHARS:
        raise RankLabError(f"Keep {what} under {settings.RANKLAB_IMPORT_MAX_MESSAGE_CHARS:,} characters.")
    if any(0xD800 <= ord(character) <= 0xDFFF for character in text):
        raise RankLabError(f"{what.capitalize()} holds a broken character (a lone surrogate); remove it.")
    return text.strip()


@dataclass
class Share:
    """What one endpoint owes a turn, and how much of it has arrived."""

    endpoint: str
    expected: int
    arrived: int


@dataclass
class ChatStep:
    """What the chat page shows under the branch: the step the trainer is at."""

    kind: str  # write, sampling, failed, rank, continue, ended, limit
    comparison: Comparison | None = None
    arrived: list[Candidate] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    assignment: Assignment | None = None
    ranking: Ranking | None = None
    top: list[Candidate] = field(default_factory=list)
    others: list[Candidate] = field(default_factory=list)


def chat_step(*, conversation: Conversation, trainer) -> ChatStep:
    """The step the conversation is at for its trainer, read without writing."""
    head = conversation.head
    if conversation.ended_at is not None:
        return ChatStep(kind="ended")
    if head is None or head.role != Message.Role.USER:
        if user_turns(conversation=conversation, message=head) >= conversation.project.turn_limit:
            return ChatStep(kind="limit")
        return ChatStep(kind="write")
    comparison = Comparison.objects.get(prompt_message=head)
    arrived = list(comparison.candidates.order_by("created_at", "id"))
    if comparison.status in (Comparison.Status.PENDING, Comparison.Status.SAMPLING, Comparison.Status.FAILED):
        if comparison.status == Comparison.Status.FAILED:
            return ChatStep(kind="failed", comparison=comparison, arrived=arrived, shares=_shares(comparison))
        return ChatStep(kind="sampling", comparison=comparison, arrived=arrived)
    ranking = Ranking.objects.filter(comparison=comparison, trainer=trainer).first()
    if ranking is None:
        assignment = (
            Assignment.objects.filter(comparison=comparison, trainer=trainer, status=Assignment.Status.ACTIVE)
            .order_by("-started_at")
            .first()
        )
        return ChatStep(kind="rank", comparison=comparison, assignment=assignment)
    by_id = {candidate.id: candidate for candidate in arrived}
    order = [candidate_id for tier in ranking.tiers for candidate_id in tier]
    top = [by_id[candidate_id] for candidate_id in ranking.tiers[0] if candidate_id in by_id]
    others = [by_id[candidate_id] for candidate_id in order[len(top) :] if candidate_id in by_id]
    return ChatStep(kind="continue", comparison=comparison, ranking=ranking, top=top, others=others)


def _shares(comparison: Comparison) -> list[Share]:
    endpoints = ModelEndpoint.objects.filter(project_id=comparison.project_id, is_active=True).order_by("id")
    counts = dict(
        Candidate.objects.filter(comparison=comparison)
        .values_list("endpoint_id")
        .annotate(n=Count("id"))
        .values_list("endpoint_id", "n")
    )
    return [Share(endpoint.name, endpoint.share, counts.get(endpoint.id, 0)) for endpoint in endpoints]


@dataclass
class TreeNode:
    message: Message
    children: list["TreeNode"] = field(default_factory=list)
    on_branch: bool = False


def conversation_tree(*, conversation: Conversation) -> list[TreeNode]:
    """The whole message tree, roots first, each node's children in the order they were written."""
    messages = list(conversation.messages.order_by("created_at", "id"))
    nodes = {message.id: TreeNode(message) for message in messages}
    branch = {message.id for message in branch_to(conversation=conversation, message=conversation.head)}
    roots = []
    for message in messages:
        node = nodes[message.id]
        node.on_branch = message.id in branch
        parent = nodes.get(message.parent_id)
        (parent.children if parent is not None else roots).append(node)
    return roots


def conversations_of(*, project: Project, trainer) -> QuerySet[Conversation]:
    """The trainer's chat conversations in the project, newest first, with their user turns counted."""
    return (
        Conversation.objects.filter(project=project, created_by=trainer)
        .annotate(turns=Count("messages", filter=Q(messages__role=Message.Role.USER)))
        .order_by("-created_at")
    )
