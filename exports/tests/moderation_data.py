"""The filter's verdicts on the tests' chat conversation (exports/tests/chat_data.py), reviewed.

Turn 1's user message was not flagged, and both trainers confirmed it. Its first candidate was
flagged for violence/graphic: the author found it harmless, the other trainer agreed with the
filter. Its second was not flagged: the author said it missed harassment. Its third is
checked but nobody reviewed it, and turn 2's candidates were never checked.
"""

from exports.tests.chat_data import Chat
from safety.models import ModerationEndpoint, ModerationReview, ModerationVerdict


def moderation_reviewed(chat: Chat) -> dict[str, ModerationVerdict]:
    project, comparison = chat.project, chat.comparisons["1"]
    ModerationEndpoint.objects.create(project=project, base_url="http://127.0.0.1:9/v1")
    first, second, third = chat.candidates["1"]
    checked = {
        "project": project,
        "comparison": comparison,
        "status": "checked",
        "model_name": "omni-moderation-latest",
    }
    verdicts = {
        "message": ModerationVerdict.objects.create(
            message=chat.messages["turn 1"], flagged=False, scores={"violence": 0.002}, **checked
        ),
        "flagged": ModerationVerdict.objects.create(
            candidate=first, flagged=True, categories=["violence/graphic"], scores={"violence/graphic": 0.91}, **checked
        ),
        "missed": ModerationVerdict.objects.create(
            candidate=second, flagged=False, scores={"harassment": 0.3}, **checked
        ),
        "unreviewed": ModerationVerdict.objects.create(candidate=third, flagged=False, **checked),
    }
    for candidate in chat.candidates["2"]:
        ModerationVerdict.objects.create(project=project, comparison=chat.comparisons["2"], candidate=candidate)
    review = ModerationReview.objects.create
    review(verdict=verdicts["message"], trainer=chat.author, judgement="confirmed")
    review(verdict=verdicts["message"], trainer=chat.other, judgement="confirmed")
    review(verdict=verdicts["flagged"], trainer=chat.author, judgement="false_positive")
    review(verdict=verdicts["flagged"], trainer=chat.other, judgement="confirmed")
    review(verdict=verdicts["missed"], trainer=chat.author, judgement="false_negative", category="harassment")
    return verdicts
