"""Trainers' judgements of the filter's verdicts, and the verdicts a ranking screen shows."""

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404

from labeler.harm import HARM_CATEGORIES
from labeler.models import Assignment, Project
from ranklab.errors import RankLabError
from safety.models import ModerationReview, ModerationVerdict
from safety.moderation import harm_key

HARM_KEYS = tuple(category["key"] for category in HARM_CATEGORIES)
HARM_LABELS = {category["key"]: category["label"] for category in HARM_CATEGORIES}
# What the "missed: harmful" menu offers.
HARM_CATEGORIES_SHOWN = [dict(category) for category in HARM_CATEGORIES]


def verdict_get_for_reviewer(*, user, project: Project, verdict_id: int) -> ModerationVerdict:
    """A verdict of the project on a comparison the user holds (or held) an assignment for; 404 otherwise."""
    assigned = Assignment.objects.filter(comparison_id=OuterRef("comparison_id"), trainer=user)
    verdict = (
        ModerationVerdict.objects.filter(id=verdict_id, project=project)
        .alias(assigned=Subquery(assigned.values("id")[:1]))
        .filter(assigned__isnull=False)
        .first()
    )
    if verdict is None:
        raise Http404("No such verdict")
    return verdict


def filter_keys(verdict: ModerationVerdict) -> set[str]:
    """The harm keys of what the filter flagged (a category with no key keeps its own name)."""
    return {harm_key(category) or category for category in verdict.categories} if verdict.flagged else set()


def moderation_review_save(
    *, verdict: ModerationVerdict, trainer, judgement: str, category: str = ""
) -> ModerationReview:
    """Record (or change) the trainer's judgement of a verdict; a repeat of the same one changes nothing."""
    if judgement not in ModerationReview.Judgement.values:
        raise RankLabError("Choose one: the filter is right, flagged but harmless, or missed: harmful.")
    if verdict.status != ModerationVerdict.Status.CHECKED:
        raise RankLabError("The filter has not judged this text yet: there is nothing to confirm or dispute.")
    if judgement == ModerationReview.Judgement.FALSE_POSITIVE and not verdict.flagged:
        raise RankLabError("The filter did not flag this text: “flagged but harmless” does not apply.")
    if judgement == ModerationReview.Judgement.FALSE_NEGATIVE:
        if category not in HARM_KEYS:
            raise RankLabError("Category: choose what the filter missed.")
        if category in filter_keys(verdict):
            raise RankLabError(f"Category: the filter did flag this text as {HARM_LABELS[category].lower()}.")
    else:
        category = ""
    with transaction.atomic():
        review, _ = ModerationReview.objects.update_or_create(
            verdict=verdict, trainer=trainer, defaults={"judgement": judgement, "category": category}
        )
    return review


# Each candidate of a comparison, its verdict's id, and the trainer's own review of that verdict.
_CANDIDATES_WITH_OWN_REVIEW = """
SELECT x.id, x.text, v.id, r.judgement, r.category
FROM labeler_candidate x
LEFT JOIN safety_moderationverdict v ON v.candidate_id = x.id
LEFT JOIN safety_moderationreview r ON r.verdict_id = v.id AND r.trainer_id = %s
WHERE x.comparison_id = %s
"""


def candidates_with_verdicts(*, comparison_id: int, trainer_id: int) -> list[tuple[int, str, ModerationVerdict | None]]:
    """(id, text, verdict) of each candidate, the verdict with this trainer's own judgement (never another's).

    One query where no candidate has a verdict (a project without a filter), a second for the
    verdicts where some have. The ranking page asks this on every request, and building the
    joined query through the ORM took longer than running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_WITH_OWN_REVIEW, [trainer_id, comparison_id])
        rows = cursor.fetchall()
    verdicts = ModerationVerdict.objects.in_bulk([verdict_id for _, _, verdict_id, _, _ in rows if verdict_id])
    candidates = []
    for candidate_id, text, verdict_id, judgement, category in rows:
        verdict = verdicts.get(verdict_id)
        if verdict is not None:
            verdict.own_judgement, verdict.own_category = judgement, category or ""
        candidates.append((candidate_id, text, verdict))
    return candidates


def verdict_with_own_review(*, verdict: ModerationVerdict, trainer) -> ModerationVerdict:
    own = ModerationReview.objects.filter(verdict=verdict, trainer=trainer).first()
    verdict.own_judgement = own.judgement if own else None
    verdict.own_category = own.category if own else ""
    return verdict


def reviewed_verdicts(*, project: Project) -> list[tuple[bool, list[str], list[tuple[str, str]]]]:
    """(flagged, filter categories, [(judgement, category)]) of each reviewed verdict of the project: one query."""
    rows = (
        ModerationReview.objects.filter(verdict__project=project, verdict__status=ModerationVerdict.Status.CHECKED)
        .order_by("verdict_id")
        .values_list("verdict_id", "verdict__flagged", "verdict__categories", "judgement", "category")
    )
    verdicts: dict[int, tuple[bool, list[str], list[tuple[str, str]]]] = {}
    for verdict_id, flagged, categories, judgement, category in rows:
        verdicts.setdefault(verdict_id, (bool(flagged), categories, []))[2].append((judgement, category))
    return list(verdicts.values())
