"""RankLab's native export row: everything known about one ranked comparison.

Rows are built a chunk of comparisons at a time with one query per table, so a file or an
API pull of millions of rows runs in constant memory.
"""

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Count

from labeler.models import Assignment, Candidate, Comparison, Message, Project
from rankings.agreement import comparison_agreement
from rankings.consensus import ranked_pairs
from rankings.models import Adjudication, Ranking

CHUNK = 1000


def annotator_pseudonym(*, project_id: int, user_id: int) -> str:
    """Stable within a project, meaningless outside it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{project_id}:{user_id}".encode(), hashlib.sha256)
    return "ann-" + digest.hexdigest()[:12]


def native_rows(*, project: Project, comparisons: Iterable[Comparison]) -> Iterator[dict]:
    """Native rows for comparisons (fetched with `conversation` and `prompt_message` ids), in order."""
    chunk: list[Comparison] = []
    for comparison in comparisons:
        chunk.append(comparison)
        if len(chunk) == CHUNK:
            yield from _rows(project, chunk)
            chunk = []
    if chunk:
        yield from _rows(project, chunk)


def _rows(project: Project, chunk: list[Comparison]) -> Iterator[dict]:
    ids = [comparison.id for comparison in chunk]
    candidates = defaultdict(list)
    for candidate in (
        Candidate.objects.filter(comparison_id__in=ids)
        .select_related("endpoint")
        .order_by("comparison_id", "sample_index")
    ):
        candidates[candidate.comparison_id].append(candidate)
    rankings = defaultdict(list)
    for ranking in Ranking.objects.filter(comparison_id__in=ids).order_by("submitted_at", "id"):
        rankings[ranking.comparison_id].append(ranking)
    skips = dict(
        Assignment.objects.filter(comparison_id__in=ids, status=Assignment.Status.SKIPPED)
        .values_list("comparison_id")
        .annotate(n=Count("id"))
    )
    adjudications = dict(Adjudication.objects.filter(comparison_id__in=ids).values_list("comparison_id", "tiers"))
    prompts = _prompts({comparison.conversation_id for comparison in chunk})
    for comparison in chunk:
        tiers = [ranking.tiers for ranking in rankings[comparison.id]]
        adjudicated = adjudications.get(comparison.id)
        consensus = adjudicated or (ranked_pairs(tiers) if tiers else [])
        votes = [ranking.none_acceptable for ranking in rankings[comparison.id]]
        yield {
            "schema_version": 1,
            "comparison_id": comparison.id,
            "project": project.slug,
            "conversation_id": comparison.conversation.external_id,
            "metadata": comparison.conversation.metadata,
            "prompt": prompts[comparison.conversation_id].get(comparison.prompt_message_id, []),
            "candidates": [_candidate(candidate) for candidate in candidates[comparison.id]],
            "rankings": [_ranking(project, ranking) for ranking in rankings[comparison.id]],
            "skips": skips.get(comparison.id, 0),
            "consensus": consensus,
            "consensus_method": "adjudication" if adjudicated else "ranked_pairs",
            "agreement": comparison_agreement(tiers),
            "none_acceptable": bool(votes) and sum(votes) * 2 > len(votes),
            "is_gold": comparison.is_gold,
            "completed_at": comparison.completed_at.isoformat() if comparison.completed_at else None,
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


def _candidate(candidate: Candidate) -> dict:
    return {
        "id": candidate.id,
        "index": candidate.sample_index,
        "text": candidate.text,
        "source": candidate.source,
        "endpoint": candidate.endpoint.name if candidate.endpoint else None,
        "model": candidate.model_name or None,
        "params": candidate.params,
        "seed": candidate.seed,
        "finish_reason": candidate.finish_reason or None,
        "prompt_tokens": candidate.prompt_tokens,
        "completion_tokens": candidate.completion_tokens,
        "is_duplicate": candidate.is_duplicate,
    }


def _ranking(project: Project, ranking: Ranking) -> dict:
    return {
        "annotator": annotator_pseudonym(project_id=project.id, user_id=ranking.trainer_id),
        "tiers": ranking.tiers,
        "display_order": ranking.display_order,
        "flags": ranking.flags,
        "rationale": ranking.rationale,
        "none_acceptable": ranking.none_acceptable,
        "duration_ms": ranking.duration_ms,
        "matches_display_order": ranking.matches_display_order,
        "submitted_at": ranking.submitted_at.isoformat(),
    }
