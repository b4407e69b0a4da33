"""Chat conversations for tests: turns sampled by hand, so no worker is needed."""

import hashlib

from django.utils import timezone

from labeler.models import Candidate, Comparison, Conversation, Project
from labeler.queue import leases_order_fill
from rankings import chat
from rankings.tests.factories import submit


def chat_project(project: Project, *, k: int = 3, overlap: int = 1, **extra) -> Project:
    for name, value in {"kind": Project.Kind.CHAT, "k": k, "overlap": overlap, **extra}.items():
        setattr(project, name, value)
    project.save()
    return project


def sampled(comparison: Comparison, texts: list[str]) -> list[Candidate]:
    """The turn's candidates as the sampler stores them, then ready, as the sampler leaves it."""
    candidates = [
        Candidate.objects.create(
            comparison=comparison,
            sample_index=index,
            text=text,
            model_name=f"model-{index % 2}",
            content_hash=hashlib.sha256(f"{comparison.id}:{index}:{text}".encode()).hexdigest(),
        )
        for index, text in enumerate(texts)
    ]
    Comparison.objects.filter(id=comparison.id).update(status=Comparison.Status.READY, updated_at=timezone.now())
    leases_order_fill(comparison_id=comparison.id)
    return candidates


def fresh(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_related("project", "head").get(id=conversation.id)


def turn(conversation: Conversation, trainer, text: str, answers: list[str]) -> tuple[Comparison, list[Candidate]]:
    """Write a user turn and have its answers arrive."""
    conversation = fresh(conversation)
    comparison = chat.chat_turn_write(
        conversation=conversation, trainer=trainer, text=text, revision=conversation.revision
    )
    return comparison, sampled(comparison, answers)


def rank_best_first(comparison: Comparison, trainer, best_first: list[Candidate]):
    """The trainer ranks the turn on their own lease: `best_first` is the order, one per tier."""
    assignment = comparison.assignments.get(trainer=trainer, status="active")
    return submit(assignment, tiers=[[candidate.id] for candidate in best_first], confirmed_display_order=True)


def go_on(conversation: Conversation, trainer, candidate: Candidate):
    conversation = fresh(conversation)
    return chat.chat_continue(
        conversation=conversation, trainer=trainer, candidate_id=candidate.id, revision=conversation.revision
    )
