"""A chat conversation as the chat screens leave it, built with the models, ranked through the real service.

    system ─ turn 1 (A1 B1 C1) ─ A1, continued ─┬─ turn 2 (A2 B2 C2) ─ a demonstration, edited from B2
                                                 │     └─ turn 3 (A3 B3 C3) ─ C3, continued
                                                 └─ turn 2b, a branch (A B C: none acceptable)

Each turn's three candidates are ranked by both trainers: the conversation's author and another.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from labeler.models import Assignment, Candidate, Comparison, Conversation, Message, ModelEndpoint, Project
from privacy.models import PiiPolicy
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of

SYSTEM = "You are a concise travel assistant."
TURNS = {
    "1": (
        "I have three days in Kyoto in June. What should I pack?",
        ["An umbrella and light clothes: June is the rainy season.", "A heavy coat.", "Pack whatever you like."],
    ),
    "2": (
        "Will it rain every day?",
        ["Yes, all day.", "Often, but rarely all day.", "I cannot know the weather."],
    ),
    "3": (
        "Which temples are best on a rainy afternoon?",
        ["Kinkaku-ji.", "Any of them.", "Sanjūsangen-dō and Tōfuku-ji: their halls are covered."],
    ),
    "2b": (
        "Is Kyoto hot in June?",
        ["It snows in June.", "Kyoto has no summer.", "June is the coldest month."],
    ),
}
DEMONSTRATION = "Often, but seldom all day: showers come and go, so keep the umbrella at hand."


@dataclass
class Chat:
    project: Project
    conversation: Conversation
    author: object
    other: object
    messages: dict[str, Message]  # root, turn 1, continuation 1, turn 2, demonstration 2, turn 3, ...
    comparisons: dict[str, Comparison]  # by turn
    candidates: dict[str, list[Candidate]]  # by turn, in sample order


def chat_project(project: Project) -> Chat:
    """The conversation of the module's drawing in `project`, made a chat project (K=3, two rankings)."""
    project.kind, project.k, project.overlap = Project.Kind.CHAT, 3, 2
    project.system_prompt = SYSTEM
    project.guidelines = "Prefer the answer that is correct and useful, then the brief one."
    project.save(update_fields=["kind", "k", "overlap", "system_prompt", "guidelines"])
    # The format tests compare texts: Kyoto stays Kyoto (exports/tests/test_pii_policy.py tests the policy).
    PiiPolicy.objects.create(project=project, policy=PiiPolicy.Policy.KEEP)
    endpoint = ModelEndpoint.objects.create(
        project=project, name="smol", base_url="http://127.0.0.1:8001/v1", model="smollm2", share=3
    )
    author, other = trainers_of(project, 2)
    conversation = Conversation.objects.create(
        project=project, external_id="chat-kyoto", created_by=author, metadata={"scenario": "A trip to Kyoto"}
    )
    chat = Chat(project, conversation, author, other, messages={}, comparisons={}, candidates={})
    root = chat.messages["root"] = Message.objects.create(
        conversation=conversation, role=Message.Role.SYSTEM, content=SYSTEM
    )

    _turn(chat, "1", parent=root, endpoint=endpoint)
    _rank(chat, "1", {author: ([0], [1], [2]), other: ([0], [2], [1])})
    first = _continue(chat, "1", candidate=0)

    _turn(chat, "2", parent=first, endpoint=endpoint)
    _rank(chat, "2", {author: ([1], [0], [2]), other: ([1], [0], [2])})
    demonstration = chat.messages["answer 2"] = Message.objects.create(
        conversation=conversation,
        parent=chat.messages["turn 2"],
        role=Message.Role.ASSISTANT,
        content=DEMONSTRATION,
        author=author,
        answers=chat.comparisons["2"],
        candidate=chat.candidates["2"][1],
        is_demonstration=True,
    )

    _turn(chat, "3", parent=demonstration, endpoint=endpoint)
    _rank(chat, "3", {author: ([2], [0], [1]), other: ([2], [1], [0])})
    last = _continue(chat, "3", candidate=2)

    _turn(chat, "2b", parent=first, endpoint=endpoint)
    _rank(chat, "2b", {author: ([0], [1], [2]), other: ([0], [1], [2])}, none_acceptable=True)

    conversation.head, conversation.rating, conversation.ended_at = last, 6, timezone.now()
    conversation.save(update_fields=["head", "rating", "ended_at"])
    return chat


def _turn(chat: Chat, turn: str, *, parent: Message, endpoint: ModelEndpoint) -> None:
    text, answers = TURNS[turn]
    message = chat.messages[f"turn {turn}"] = Message.objects.create(
        conversation=chat.conversation, parent=parent, role=Message.Role.USER, content=text, author=chat.author
    )
    comparison = chat.comparisons[turn] = Comparison.objects.create(
        project=chat.project, conversation=chat.conversation, prompt_message=message, status=Comparison.Status.READY
    )
    chat.candidates[turn] = [
        Candidate.objects.create(
            comparison=comparison,
            sample_index=index,
            source=Candidate.Source.MODEL,
            text=answer,
            endpoint=endpoint,
            model_name="smollm2",
            params={"temperature": 0.9},
            seed=index,
            finish_reason="stop",
            content_hash=hashlib.sha256(answer.encode()).hexdigest(),
        )
        for index, answer in enumerate(answers)
    ]


def _rank(chat: Chat, turn: str, tiers_by_trainer: dict, *, none_acceptable: bool = False) -> None:
    """Each trainer ranks the turn (tiers of sample indexes, best first) on a lease of their own."""
    comparison, candidates = chat.comparisons[turn], chat.candidates[turn]
    for trainer, tiers in tiers_by_trainer.items():
        assignment = Assignment.objects.create(
            comparison=comparison,
            trainer=trainer,
            display_order=[candidate.id for candidate in candidates],
            expires_at=timezone.now() + timedelta(hours=1),
        )
        judgement = Judgement(
            tiers=[[candidates[index].id for index in tier] for tier in tiers],
            none_acceptable=none_acceptable,
            duration_ms=20_000,
            confirmed_display_order=True,
        )
        ranking_submit(trainer=trainer, project=chat.project, assignment_id=assignment.id, judgement=judgement)


def _continue(chat: Chat, turn: str, *, candidate: int) -> Message:
    """Go on with one candidate, as the chat screen does: the turn's text, no author of its own."""
    chosen = chat.candidates[turn][candidate]
    message = chat.messages[f"answer {turn}"] = Message.objects.create(
        conversation=chat.conversation,
        parent=chat.messages[f"turn {turn}"],
        role=Message.Role.ASSISTANT,
        content=chosen.text,
        answers=chat.comparisons[turn],
        candidate=chosen,
    )
    return message
