"""The moderation filter's verdicts on a comparison's texts, added to its native rows on request.

`moderation_feedback` lines are built from native rows (so the export filters and the
pipeline's cursor apply as to any format), each with `moderation`: the checked verdicts on its
candidates and on its prompt's user turn, with every trainer's review. The native row itself
does not carry them: reading them costs two queries per chunk of rows, which only this format
pays.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet

from exports.judgements import AiJudgements
from exports.native import CHUNK, annotator_pseudonym, native_rows
from labeler.models import Comparison, Project
from privacy.exporting import ExportRedactor
from safety.models import ModerationVerdict
from safety.moderation import harm_key

# The formats whose lines are built from the filter's verdicts.
MODERATED = ("moderation_feedback",)


def export_rows(
    *,
    project: Project,
    comparisons: QuerySet[Comparison],
    format: str,
    redactor: ExportRedactor | None = None,
    ai: AiJudgements | None = None,
) -> Iterator[dict]:
    """The rows a format is made from: native rows, with the filter's verdicts where the format needs them,
    and the AI judge's rows where `ai` asks for them.

    `redactor` applies the project's personal-data policy (its own by default); an export job
    passes one to read its counts into the manifest.
    """
    rows = native_rows(project=project, comparisons=comparisons, redactor=redactor)
    if ai is not None:
        rows = ai.rows(rows)
    return with_moderation(rows, project=project) if format in MODERATED else rows


def with_moderation(rows: Iterable[dict], *, project: Project) -> Iterator[dict]:
    rows = iter(rows)
    pseudonyms: dict[int, str] = {}
    while chunk := list(islice(rows, CHUNK)):
        verdicts = _verdicts([row["comparison_id"] for row in chunk], project, pseudonyms)
        for row in chunk:
            yield {**row, "moderation": verdicts.get(row["comparison_id"], [])}


def _verdicts(comparison_ids: list[int], project: Project, pseudonyms: dict[int, str]) -> dict[int, list[dict]]:
    verdicts = (
        ModerationVerdict.objects.filter(comparison_id__in=comparison_ids, status=ModerationVerdict.Status.CHECKED)
        .prefetch_related("reviews")
        .order_by("id")
    )
    by_comparison = defaultdict(list)
    for verdict in verdicts:
        reviews = sorted(verdict.reviews.all(), key=lambda review: review.id)
        by_comparison[verdict.comparison_id].append(
            {
                "verdict_id": verdict.id,
                "candidate_id": verdict.candidate_id,
                "message_id": verdict.message_id,
                "flagged": verdict.flagged,
                "categories": verdict.categories,
                "harm_categories": sorted({harm_key(category) or category for category in verdict.categories}),
                "scores": verdict.scores,
                "model": verdict.model_name or None,
                "reviews": [
                    {
                        "judgement": review.judgement,
                        "category": review.category or None,
                        "annotator": pseudonyms.setdefault(
                            review.trainer_id, annotator_pseudonym(project_id=project.id, user_id=review.trainer_id)
                        ),
                    }
                    for review in reviews
                ],
            }
        )
    return by_comparison
