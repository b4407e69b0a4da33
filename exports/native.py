"""RankLab's native export row: everything known about one ranked comparison.

Rows are built a chunk of comparisons at a time with one query per table, so a file or an
API pull of millions of rows runs in constant memory.
"""

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, QuerySet

from labeler.models import Assignment, Candidate, Comparison, Message, Project
from rankings.agreement import comparison_agreement
from rankings.consensus import ranked_pairs
from rankings.models import Adjudication, Ranking

CHUNK = 1000


def annotator_pseudonym(*, project_id: int, user_id: int) -> str:
    """Stable within a project, meaningless outside it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{project_id}:{user_id}".encode(), hashlib.sha256)
    return "ann-" + digest.hexdigest()[:12]


_COMPARISON_FIELDS = (
    "id", "conversation_id", "conversation__external_id", "conversation__metadata", "prompt_message_id",
    "is_gold", "completed_at",
)  # fmt: skip
_CANDIDATE_FIELDS = (
    "comparison_id", "id", "sample_index", "text", "source", "endpoint__name", "model_name", "params", "seed",
    "finish_reason", "prompt_tokens", "completion_tokens", "is_duplicate",
)  # fmt: skip
_RANKING_FIELDS = (
    "comparison_id", "trainer_id", "tiers", "display_order", "flags", "rationale", "none_acceptable",
    "duration_ms", "matches_display_order", "submitted_at",
)  # fmt: skip


def native_rows(*, project: Project, comparisons: QuerySet[Comparison]) -> Iterator[dict]:
    """Native rows for the comparisons of the queryset, in its order.

    Plain tuples, not model instances: at millions of rows, building objects would cost
    more than the database does.
    """
    chunk: list[tuple] = []
    for comparison in comparisons.values_list(*_COMPARISON_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(comparison)
        if len(chunk) == CHUNK:
            yield from _rows(project, chunk)
            chunk = []
    if chunk:
        yield from _rows(project, chunk)


def _rows(project: Project, chunk: list[tuple]) -> Iterator[dict]:
    ids = [comparison[0] for comparison in chunk]
    candidates = defaultdict(list)
    for row in (
        Candidate.objects.filter(comparison_id__in=ids)
        .order_by("comparison_id", "sample_index")
        .values_list(*_CANDIDATE_FIELDS)
    ):
        candidates[row[0]].append(_candidate(row))
    rankings = defaultdict(list)
    for row in (
        Ranking.objects.filter(comparison_id__in=ids).order_by("submitted_at", "id").values_list(*_RANKING_FIELDS)
    ):
        rankings[row[0]].append(row)
    skips = dict(
        Assignment.objects.filter(comparison_id__in=ids, status=Assignment.Status.SKIPPED)
        .values_list("comparison_id")
        .annotate(n=Count("id"))
    )
    adjudications = dict(Adjudication.objects.filter(comparison_id__in=ids).values_list("comparison_id", "tiers"))
    prompts = _prompts({comparison[1] for comparison in chunk})
    pseudonyms: dict[int, str] = {}
    for comparison_id, conversation_id, external_id, metadata, prompt_id, is_gold, completed_at in chunk:
        judged = rankings[comparison_id]
        tiers = [ranking[2] for ranking in judged]
        adjudicated = adjudications.get(comparison_id)
        votes = [ranking[6] for ranking in judged]
        yield {
            "schema_version": 1,
            "comparison_id": comparison_id,
            "project": project.slug,
            "conversation_id": external_id,
            "metadata": metadata,
            "prompt": prompts[conversation_id].get(prompt_id, []),
            "candidates": candidates[comparison_id],
            "rankings": [_ranking(project, ranking, pseudonyms) for ranking in judged],
            "skips": skips.get(comparison_id, 0),
            "consensus": adjudicated or (ranked_pairs(tiers) if tiers else []),
            "consensus_method": "adjudication" if adjudicated else "ranked_pairs",
            "agreement": comparison_agreement(tiers),
            "none_acceptable": bool(votes) and sum(votes) * 2 > len(votes),
            "is_gold": is_gold,
            "completed_at": completed_at.isoformat() if completed_at else None,
        }


def _prompts(conversation_ids: set[int]) -> dict[int, dict[int, list[dict]]]:
    """For each conversation, the path from the root to every message, as chat messages."""
    nodes = defaultdict(dict)
    for message_id, conversation_id, parent_id, role, content in Message.objects.filter(
        conversation_id__in=conversation_ids
    ).values_list("id", "conversation_id", "parent_id", "role", "content"):
        nodes[conversation_id][message_id] = (parent_id, role, content)
    paths: dict[int, dict[int, list[dict]]] = defaultdict(dict)
    for conversation_id, messages in nodes.items():
        for message_id in messages:
            chain, node = [], message_id
            while node is not None:
                parent_id, role, content = messages[node]
                chain.append({"role": role, "content": content})
                node = parent_id
            paths[conversation_id][message_id] = chain[::-1]
    return paths


def _candidate(row: tuple) -> dict:
    _, candidate_id, index, text, source, endpoint, model, params, seed, finish, prompt_tokens, tokens, duplicate = row
    return {
        "id": candidate_id,
        "index": index,
        "text": text,
        "source": source,
        "endpoint": endpoint,
        "model": model or None,
        "params": params,
        "seed": seed,
        "finish_reason": finish or None,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": tokens,
        "is_duplicate": duplicate,
    }


def _ranking(project: Project, row: tuple, pseudonyms: dict[int, str]) -> dict:
    _, trainer_id, tiers, display_order, flags, rationale, none_acceptable, duration_ms, matches, submitted_at = row
    if trainer_id not in pseudonyms:
        pseudonyms[trainer_id] = annotator_pseudonym(project_id=project.id, user_id=trainer_id)
    return {
        "annotator": pseudonyms[trainer_id],
        "tiers": tiers,
        "display_order": display_order,
        "flags": flags,
        "rationale": rationale,
        "none_acceptable": none_acceptable,
        "duration_ms": duration_ms,
        "matches_display_order": matches,
        "submitted_at": submitted_at.isoformat(),
    }
