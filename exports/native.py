"""RankLab's native export row: everything known about one ranked comparison.

Rows are built a chunk of comparisons at a time with one query per table, so a file or an
API pull of millions of rows runs in constant memory. The queries are plain SQL returning
tuples: at a million rows, the ORM's per-row work (model fields, converters, a thousand
bound parameters per `IN`) cost several times what the database does.
"""

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterator

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from exports.formats import SCHEMA_VERSION
from labeler.models import Comparison, Project
from rankings.agreement import comparison_agreement, mean_kendall_tau_b, pairwise_agreement
from rankings.consensus import ranked_pairs

CHUNK = 1000


def annotator_pseudonym(*, project_id: int, user_id: int) -> str:
    """Stable within a project, meaningless outside it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{project_id}:{user_id}".encode(), hashlib.sha256)
    return "ann-" + digest.hexdigest()[:12]


def native_rows(*, project: Project, comparisons: QuerySet[Comparison]) -> Iterator[dict]:
    """Native rows for the comparisons of the queryset, in its order."""
    pseudonyms: dict[int, str] = {}
    chunk: list[int] = []
    for comparison_id in comparisons.values_list("id", flat=True).iterator(chunk_size=CHUNK):
        chunk.append(comparison_id)
        if len(chunk) == CHUNK:
            yield from _rows(project, chunk, pseudonyms)
            chunk = []
    if chunk:
        yield from _rows(project, chunk, pseudonyms)


def _sql(template: str) -> str:
    """The query for this database: an id-list membership test and ISO 8601 timestamps.

    Timestamps come back as text: Django's timestamp converter would cost more than the
    rest of the row. Django keeps timestamps in UTC on both databases.
    """
    if connection.vendor == "postgresql":
        ids, iso = "= ANY(%s)", "to_json({}) #>> '{{}}'"
    else:
        ids, iso = "IN (SELECT value FROM json_each(%s))", "replace({}, ' ', 'T') || '+00:00'"
    return (
        template.replace("IN_IDS", ids)
        .replace("ISO(completed_at)", iso.format("c.completed_at"))
        .replace("ISO(submitted_at)", iso.format("submitted_at"))
    )


def _ids(ids: list[int]):
    return ids if connection.vendor == "postgresql" else orjson.dumps(ids).decode()


_COMPARISONS = """
SELECT c.id, c.conversation_id, conv.external_id, conv.metadata, c.prompt_message_id, c.is_gold,
    ISO(completed_at),
    (SELECT count(*) FROM labeler_assignment a WHERE a.comparison_id = c.id AND a.status = 'skipped'),
    (SELECT j.tiers FROM rankings_adjudication j WHERE j.comparison_id = c.id)
FROM labeler_comparison c JOIN labeler_conversation conv ON conv.id = c.conversation_id
WHERE c.id IN_IDS
"""
_CANDIDATES = """
SELECT ca.comparison_id, ca.id, ca.sample_index, ca.text, ca.source, e.name, ca.model_name, ca.params, ca.seed,
    ca.finish_reason, ca.prompt_tokens, ca.completion_tokens, ca.is_duplicate
FROM labeler_candidate ca LEFT JOIN labeler_modelendpoint e ON e.id = ca.endpoint_id
WHERE ca.comparison_id IN_IDS
ORDER BY ca.comparison_id, ca.sample_index
"""
_RANKINGS = """
SELECT comparison_id, trainer_id, tiers, display_order, flags, rationale, none_acceptable, duration_ms,
    matches_display_order, ISO(submitted_at)
FROM rankings_ranking WHERE comparison_id IN_IDS
ORDER BY submitted_at, id
"""
_MESSAGES = """
SELECT id, conversation_id, parent_id, role, content FROM labeler_message WHERE conversation_id IN_IDS
"""


def _rows(project: Project, ids: list[int], pseudonyms: dict[int, str]) -> Iterator[dict]:
    loads = orjson.loads
    with connection.cursor() as cursor:
        cursor.execute(_sql(_COMPARISONS), [_ids(ids)])
        comparisons = {row[0]: row for row in cursor.fetchall()}
        cursor.execute(_sql(_CANDIDATES), [_ids(ids)])
        candidates = defaultdict(list)
        for row in cursor.fetchall():
            candidates[row[0]].append(_candidate(row, loads))
        cursor.execute(_sql(_RANKINGS), [_ids(ids)])
        rankings = defaultdict(list)
        for row in cursor.fetchall():
            rankings[row[0]].append(row)
        conversation_ids = list({row[1] for row in comparisons.values()})
        cursor.execute(_sql(_MESSAGES), [_ids(conversation_ids)])
        messages = defaultdict(dict)
        for message_id, conversation_id, parent_id, role, content in cursor.fetchall():
            messages[conversation_id][message_id] = (parent_id, role, content)
    for comparison_id in ids:
        _, conversation_id, external_id, metadata, prompt_id, is_gold, completed_at, skips, adjudicated = comparisons[
            comparison_id
        ]
        judged = [_ranking(project, row, pseudonyms, loads) for row in rankings[comparison_id]]
        tiers = [ranking["tiers"] for ranking in judged]
        adjudicated = loads(adjudicated) if adjudicated else None
        votes = [ranking["none_acceptable"] for ranking in judged]
        yield {
            "schema_version": SCHEMA_VERSION,
            "comparison_id": comparison_id,
            "project": project.slug,
            "conversation_id": external_id,
            "metadata": loads(metadata),
            "question": project.guidelines,
            "prompt": _path(messages[conversation_id], prompt_id),
            "candidates": candidates[comparison_id],
            "rankings": judged,
            "skips": skips,
            "consensus": adjudicated or (ranked_pairs(tiers) if tiers else []),
            "consensus_method": "adjudication" if adjudicated else "ranked_pairs",
            "agreement": comparison_agreement(tiers),
            "agreement_figures": _agreement_figures(tiers),
            "none_acceptable": bool(votes) and sum(votes) * 2 > len(votes),
            "is_gold": bool(is_gold),
            "completed_at": completed_at,
        }


def _path(messages: dict[int, tuple], message_id: int) -> list[dict]:
    """The chat messages from the conversation's root down to `message_id`."""
    chain = []
    while message_id is not None:
        parent_id, role, content = messages[message_id]
        chain.append({"role": role, "content": content})
        message_id = parent_id
    return chain[::-1]


def _agreement_figures(tiers: list[list[list[int]]]) -> dict | None:
    """Mean pairwise agreement of the trainers (exact, strict, half credit) and Kendall's τ-b."""
    if len(tiers) < 2:
        return None
    return {**pairwise_agreement(tiers, average="mean"), "kendall_tau_b": mean_kendall_tau_b(tiers)}


def _candidate(row: tuple, loads) -> dict:
    _, candidate_id, index, text, source, endpoint, model, params, seed, finish, prompt_tokens, tokens, duplicate = row
    return {
        "id": candidate_id,
        "index": index,
        "text": text,
        "source": source,
        "endpoint": endpoint,
        "model": model or None,
        "params": loads(params),
        "seed": seed,
        "finish_reason": finish or None,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": tokens,
        "is_duplicate": bool(duplicate),
    }


def _ranking(project: Project, row: tuple, pseudonyms: dict[int, str], loads) -> dict:
    _, trainer_id, tiers, display_order, flags, rationale, none_acceptable, duration_ms, matches, submitted_at = row
    if trainer_id not in pseudonyms:
        pseudonyms[trainer_id] = annotator_pseudonym(project_id=project.id, user_id=trainer_id)
    return {
        "annotator": pseudonyms[trainer_id],
        "tiers": loads(tiers),
        "display_order": loads(display_order),
        "flags": loads(flags),
        "rationale": rationale,
        "none_acceptable": bool(none_acceptable),
        "duration_ms": duration_ms,
        "matches_display_order": bool(matches),
        "submitted_at": submitted_at,
    }
