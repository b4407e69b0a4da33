"""RankLab's native export row: everything known about one ranked comparison.

Rows are built a chunk of comparisons at a time with three queries (comparisons with their
candidates and rankings as JSON, conversations, messages), so a file or an API pull of
millions of rows runs in constant memory. A chat turn's continuations (the assistant messages
that answer it) are among the conversation's messages already read, so they cost no query.
The queries are plain SQL: at a million rows, the ORM's per-row work (model instances,
converters) would cost several times what the database does.
"""

import hashlib
import hmac
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from types import SimpleNamespace

import orjson
from django.conf import settings
from django.db import connection, connections
from django.db.models import QuerySet

from exports.formats import SCHEMA_VERSION
from labeler.models import Comparison, Project
from privacy.exporting import ExportRedactor, export_redactor
from rankings.agreement import comparison_figures
from rankings.consensus import ranked_pairs
from ranklab.database import id_array

CHUNK = 1000
_READERS = 2


def annotator_pseudonym(*, project_id: int, user_id: int) -> str:
    """Stable within a project, meaningless outside it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{project_id}:{user_id}".encode(), hashlib.sha256)
    return "ann-" + digest.hexdigest()[:12]


def native_rows(
    *, project: Project, comparisons: QuerySet[Comparison], redactor: ExportRedactor | None = None
) -> Iterator[dict]:
    """Native rows for the comparisons of the queryset, in its order, as the project's PII policy lets them out.

    Outside a transaction the next chunks are read by reader threads on connections of their
    own while this thread turns one into rows: the database and Python then work at the same
    time. Inside one, another connection could not see the transaction's own writes.
    """
    pseudonyms: dict[int, str] = {}
    redactor = redactor or export_redactor(project=project)
    chunks = _chunks(comparisons.values_list("id", flat=True).iterator(chunk_size=CHUNK))
    if connection.in_atomic_block:
        for ids in chunks:
            yield from _rows(project, ids, _fetch(ids, redactor), pseudonyms, redactor)
        return
    with ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="export-reader") as readers:
        try:
            pending = deque()
            for ids in chunks:
                pending.append((ids, readers.submit(_fetch, ids, redactor)))
                if len(pending) > _READERS:
                    ids, fetching = pending.popleft()
                    yield from _rows(project, ids, fetching.result(), pseudonyms, redactor)
            while pending:
                ids, fetching = pending.popleft()
                yield from _rows(project, ids, fetching.result(), pseudonyms, redactor)
        finally:
            # Each reader closes its own connection: a barrier makes every thread take one of these.
            closing = threading.Barrier(_READERS, timeout=60)
            for _ in range(_READERS):
                readers.submit(_close_after, closing)


def _close_after(closing: threading.Barrier) -> None:
    closing.wait()
    connections.close_all()


def _chunks(ids: Iterator[int]) -> Iterator[list[int]]:
    chunk = []
    for comparison_id in ids:
        chunk.append(comparison_id)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The candidates and rankings of a comparison come back as one JSON array each, built by the
# database: one orjson call per comparison instead of a Python dict per database row.
# Timestamps are ISO 8601 text (Django keeps them in UTC on both databases).
_POSTGRESQL = SimpleNamespace(
    ids="= ANY(%s::bigint[])",
    iso=lambda column: f"to_json({column}) #>> '{{}}'",
    boolean=lambda column: column,
    json=lambda column: column,
    object="json_build_object",
    array=lambda element, order: f"coalesce(json_agg({element} ORDER BY {order})::text, '[]')",
    object_agg=lambda key, value: f"coalesce(json_object_agg({key}, {value}), '{{}}')",
)
_SQLITE = SimpleNamespace(
    ids="IN (SELECT value FROM json_each(%s))",
    iso=lambda column: f"replace({column}, ' ', 'T') || '+00:00'",
    boolean=lambda column: f"json(iif({column}, 'true', 'false'))",
    json=lambda column: f"json({column})",
    object="json_object",
    # SQLite's aggregates keep no order: `_rows` sorts candidates and rankings itself.
    array=lambda element, order: f"coalesce(json_group_array(json({element})), '[]')",
    object_agg=lambda key, value: f"coalesce(json_group_object({key}, json({value})), '{{}}')",
)


def _queries(sql: SimpleNamespace) -> tuple[str, str, str]:
    """The queries of a chunk, built from this module's own fragments only.

    Conversations are read by id on their own: joined to a chunk of comparisons, the planner
    prefers a scan of every conversation of the database once there are many.
    """
    candidate = f"""{sql.object}(
        'id', ca.id, 'index', ca.sample_index, 'text', ca.text, 'source', ca.source, 'endpoint', e.name,
        'model', nullif(ca.model_name, ''), 'params', {sql.json("ca.params")}, 'seed', ca.seed,
        'finish_reason', nullif(ca.finish_reason, ''), 'prompt_tokens', ca.prompt_tokens,
        'completion_tokens', ca.completion_tokens, 'is_duplicate', {sql.boolean("ca.is_duplicate")})"""
    # Candidate id → attribute → value (rankings.Rating); {} where the project asks for no ratings.
    ratings = f"""(SELECT {sql.object_agg("g.candidate_id", "g.attributes")} FROM (
        SELECT candidate_id, {sql.object_agg("attribute", "value")} AS attributes
        FROM rankings_rating WHERE ranking_id = r.id GROUP BY candidate_id) AS g)"""  # noqa: S608
    ranking = f"""{sql.object}(
        'annotator', r.trainer_id, 'tiers', {sql.json("r.tiers")}, 'display_order', {sql.json("r.display_order")},
        'flags', {sql.json("r.flags")}, 'rationale', r.rationale, 'none_acceptable', {sql.boolean("r.none_acceptable")},
        'duration_ms', r.duration_ms, 'matches_display_order', {sql.boolean("r.matches_display_order")},
        'submitted_at', {sql.iso("r.submitted_at")}, 'question', r.question, 'attacks', {sql.json("r.attacks")},
        'strengths', {sql.json("r.strengths")}, 'ratings', {sql.json(ratings)})"""
    safe_answer = f"""{sql.object}(
        'harmful_candidate_id', s.harmful_candidate_id, 'text', s.text, 'from_candidate_id', s.from_candidate_id,
        'author', s.author_id, 'created_at', {sql.iso("s.created_at")})"""
    comparisons = f"""
    SELECT c.id, c.conversation_id, c.prompt_message_id, c.is_gold,
        {sql.iso("c.completed_at")},
        (SELECT count(*) FROM labeler_assignment a WHERE a.comparison_id = c.id AND a.status = 'skipped'),
        (SELECT j.tiers FROM rankings_adjudication j WHERE j.comparison_id = c.id),
        (SELECT {sql.array(candidate, "ca.sample_index")}
         FROM labeler_candidate ca LEFT JOIN labeler_modelendpoint e ON e.id = ca.endpoint_id
         WHERE ca.comparison_id = c.id),
        (SELECT {sql.array(ranking, "r.submitted_at, r.id")} FROM rankings_ranking r WHERE r.comparison_id = c.id),
        (SELECT {sql.array(safe_answer, "s.created_at, s.id")} FROM rankings_safeanswer s WHERE s.comparison_id = c.id)
    FROM labeler_comparison c WHERE c.id {sql.ids}
    """  # noqa: S608
    conversations = f"""
    SELECT id, external_id, metadata, rating, {sql.iso("ended_at")} FROM labeler_conversation WHERE id {sql.ids}
    """  # noqa: S608
    messages = f"""
    SELECT id, conversation_id, parent_id, role, content, answers_id, candidate_id, is_demonstration, author_id
    FROM labeler_message WHERE conversation_id {sql.ids}
    """  # noqa: S608
    return comparisons, conversations, messages


_QUERIES = {"postgresql": _queries(_POSTGRESQL), "sqlite": _queries(_SQLITE)}


def _fetch(ids: list[int], redactor: ExportRedactor) -> tuple:
    """The database's part of a chunk: a row per comparison, their conversations and messages, their personal data."""
    comparisons_sql, conversations_sql, messages_sql = _QUERIES[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(comparisons_sql, [id_array(ids)])
        comparisons = cursor.fetchall()
        conversation_pks = list({row[1] for row in comparisons})
        conversation_ids = id_array(conversation_pks)
        cursor.execute(conversations_sql, [conversation_ids])
        conversations = cursor.fetchall()
        cursor.execute(messages_sql, [conversation_ids])
        messages = cursor.fetchall()
    return comparisons, conversations, messages, redactor.fetch(conversation_pks, ids)


def _rows(
    project: Project, ids: list[int], fetched, pseudonyms: dict[int, str], redactor: ExportRedactor
) -> Iterator[dict]:
    comparisons, conversation_rows, message_rows, personal = fetched
    loads = orjson.loads

    def pseudonym(user_id: int) -> str:
        if user_id not in pseudonyms:
            pseudonyms[user_id] = annotator_pseudonym(project_id=project.id, user_id=user_id)
        return pseudonyms[user_id]

    conversations = {row[0]: row[1:] for row in conversation_rows}
    messages = defaultdict(dict)
    continuations = defaultdict(list)
    for message_id, conversation_id, parent_id, role, content, answers, *continuing in message_rows:
        messages[conversation_id][message_id] = (parent_id, role, content)
        if answers is not None:
            candidate, demonstration, author = continuing
            continuations[answers].append(
                {
                    "message_id": message_id,
                    "candidate_id": candidate,
                    "is_demonstration": bool(demonstration),
                    "text": content,
                    "author": pseudonym(author) if author is not None else None,
                    "parent_id": parent_id,
                }
            )
    by_id = {row[0]: row for row in comparisons}
    unordered = connection.vendor == "sqlite"
    kind = project.kind
    # Strengths are stored as what the trainer said; their numbers are the project's margins as they are now.
    margin_of = project.strength_margin_of
    rubric_attributes = [attribute["key"] for attribute in project.rubric]
    for comparison_id in ids:
        (_, conversation_id, prompt_id, is_gold, completed_at, skips, adjudicated, candidates, rankings, safe) = by_id[
            comparison_id
        ]
        external_id, metadata, rating, ended_at = conversations[conversation_id]
        candidates, judged, safe_answers = loads(candidates), loads(rankings), loads(safe)
        if unordered:
            candidates.sort(key=_INDEX)
            judged.sort(key=_SUBMITTED)
            safe_answers.sort(key=_CREATED)
        for ranking in judged:
            trainer_id = ranking["annotator"]
            ranking["annotator"] = pseudonyms.get(trainer_id) or pseudonym(trainer_id)
            ranking["strength_margins"] = [margin_of[strength] for strength in ranking["strengths"]]
        for answer in safe_answers:
            answer["author"] = pseudonym(answer["author"])
        tiers = [ranking["tiers"] for ranking in judged]
        adjudicated = loads(adjudicated) if adjudicated else None
        votes = [ranking["none_acceptable"] for ranking in judged]
        figures = comparison_figures(tiers)
        prompt, prompt_ids = _path(messages[conversation_id], prompt_id)
        answered = continuations.get(comparison_id)
        if answered:
            answered.sort(key=_MESSAGE)
        row = {
            "schema_version": SCHEMA_VERSION,
            "comparison_id": comparison_id,
            "project": project.slug,
            "project_kind": kind,
            "conversation_id": external_id,
            "metadata": loads(metadata),
            "question": project.guidelines,
            "rubric_attributes": rubric_attributes,
            "prompt": prompt,
            "prompt_message_ids": prompt_ids,
            "candidates": candidates,
            "rankings": judged,
            "skips": skips,
            "consensus": adjudicated or (ranked_pairs(tiers) if tiers else []),
            "consensus_method": "adjudication" if adjudicated else "ranked_pairs",
            "agreement": figures.exact if figures is not None else None,
            "agreement_figures": figures.as_dict() if figures is not None else None,
            "none_acceptable": bool(votes) and sum(votes) * 2 > len(votes),
            "is_gold": bool(is_gold),
            "completed_at": completed_at,
            "continuations": answered or [],
            "conversation_rating": rating,
            "conversation_ended_at": ended_at,
            "safe_answers": safe_answers,
            "pii": None,
        }
        if (
            personal is not None
            and (row := redactor.apply(row, conversation_id=conversation_id, chunk=personal)) is None
        ):
            continue
        yield row


def _path(messages: dict[int, tuple], message_id: int | None) -> tuple[list[dict], list[int]]:
    """The chat messages from the root down to `message_id`, and their ids, aligned."""
    chain, ids = [], []
    while message_id is not None:
        parent_id, role, content = messages[message_id]
        chain.append({"role": role, "content": content})
        ids.append(message_id)
        message_id = parent_id
    return chain[::-1], ids[::-1]


_INDEX = itemgetter("index")
_SUBMITTED = itemgetter("submitted_at")
_CREATED = itemgetter("created_at")
_MESSAGE = itemgetter("message_id")
