"""A small project for the data browser's tests: four comparisons, each found by its own filters."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from labeler.models import Comparison, Membership, Message
from labeler.tests.factories import MembershipFactory, ModelEndpointFactory
from rankings.stats import project_stats_refresh
from rankings.tests.stats_data import comparison_with, rank, trainers


@dataclass
class Corpus:
    refund: Comparison  # complete, endpoint "alpha", two trainers agree: high agreement
    poem: Comparison  # complete, endpoint "beta", two trainers disagree, one flags it untruthful: low agreement
    photosynthesis: Comparison  # ready, one ranking: not measured, created a month ago
    translation: Comparison  # pending, no candidates, no rankings
    endpoints: dict
    trainers: list


def browse_corpus(project) -> Corpus:
    alpha = ModelEndpointFactory(project=project, name="alpha")
    beta = ModelEndpointFactory(project=project, name="beta")
    people = trainers(project, 3, prefix="ranker")

    refund = comparison_with(project, ["You can ask for a **refund** within 30 days.", "Call us."], [alpha, alpha])
    _prompt(refund, "How do I get my money back for a broken kettle?")
    rank(refund, people[0], [[0], [1]], rationale="The first one answers.")
    rank(refund, people[1], [[0], [1]])

    poem = comparison_with(project, ["Waves roll over the shore.", "The sea is made of cheese."], [beta, beta])
    _prompt(poem, "Write a short poem about the sea.")
    rank(poem, people[0], [[0], [1]])
    rank(poem, people[1], [[1], [0]], flags={str(poem.candidates.get(sample_index=1).id): ["untruthful"]})

    photosynthesis = comparison_with(project, ["Plants turn light into sugar.", "Chlorophyll does it."], [alpha, beta])
    _prompt(photosynthesis, "Explain photosynthesis to a child.")
    rank(photosynthesis, people[2], [[0, 1]])
    Comparison.objects.filter(id=photosynthesis.id).update(created_at=timezone.now() - timedelta(days=30))

    translation = comparison_with(project, [])
    _prompt(translation, "Translate 'bonjour' into English.")

    # Completed by an old transaction: below every pull's horizon.
    Comparison.objects.filter(id__in=[refund.id, poem.id]).update(
        status=Comparison.Status.COMPLETE, completed_at=timezone.now(), completed_xid=1
    )
    Comparison.objects.filter(id=translation.id).update(status=Comparison.Status.PENDING)
    project_stats_refresh(project_id=project.id)
    for comparison in (refund, poem, photosynthesis, translation):
        comparison.refresh_from_db()
    return Corpus(refund, poem, photosynthesis, translation, {"alpha": alpha, "beta": beta}, people)


def _prompt(comparison, text: str) -> None:
    Message.objects.filter(id=comparison.prompt_message_id).update(content=text)


def lead_of(project):
    return MembershipFactory(project=project, role=Membership.Role.LEAD).user
