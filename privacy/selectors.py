"""Reads of personal data that serve requests; the project comes from a membership-checking selector."""

from django.db import connection
from django.db.models import Count, Q
from django.http import Http404

from labeler.models import Assignment, Candidate, Conversation, Membership, Message, Project
from privacy.highlight import ShownSpan
from privacy.models import PiiScan, PiiSpan


def scan_progress(*, project: Project) -> dict:
    """How many of the project's texts the background scan has read, and what it found, by type."""
    texts = (
        Message.objects.filter(conversation__project=project).count()
        + Candidate.objects.filter(comparison__project=project).count()
    )
    scanned = PiiScan.objects.filter(project=project).count()
    by_type: dict[str, dict[str, int]] = {}
    counted = PiiSpan.objects.filter(project=project).values("entity_type", "status").annotate(n=Count("id"))
    for row in counted:
        by_type.setdefault(row["entity_type"], {})[row["status"]] = row["n"]
    return {"texts": texts, "scanned": scanned, "by_type": dict(sorted(by_type.items()))}


# One statement for the ranking screen: the conversation's messages (to walk the path the screen
# shows) with their spans, then the spans of the comparison's candidates.
_SCREEN = """
SELECT 'message', m.id, m.parent_id, c.prompt_message_id, m.role, m.content,
    s.id, s.entity_type, s.start, s."end", s.status
FROM labeler_comparison c JOIN labeler_message m ON m.conversation_id = c.conversation_id
LEFT JOIN privacy_piispan s ON s.message_id = m.id AND s.status <> 'dismissed'
WHERE c.id = %s
UNION ALL
SELECT 'candidate', ca.id, NULL, NULL, NULL, NULL, s.id, s.entity_type, s.start, s."end", s.status
FROM labeler_candidate ca JOIN privacy_piispan s ON s.candidate_id = ca.id AND s.status <> 'dismissed'
WHERE ca.comparison_id = %s
"""


def spans_of_texts(
    *, message_ids: list[int], candidate_ids: list[int]
) -> tuple[dict[int, list[ShownSpan]], dict[int, list[ShownSpan]]]:
    """The spans not dismissed of these messages and candidates, by message and by candidate."""
    by_message: dict[int, list[ShownSpan]] = {}
    by_candidate: dict[int, list[ShownSpan]] = {}
    if not message_ids and not candidate_ids:
        return by_message, by_candidate
    rows = (
        PiiSpan.objects.filter(Q(message_id__in=message_ids) | Q(candidate_id__in=candidate_ids))
        .exclude(status=PiiSpan.Status.DISMISSED)
        .values_list("id", "message_id", "candidate_id", "entity_type", "start", "end", "status")
    )
    for span_id, message_id, candidate_id, entity_type, start, end, status in rows:
        shown = ShownSpan(span_id, entity_type, start, end, status)
        if message_id is not None:
            by_message.setdefault(message_id, []).append(shown)
        else:
            by_candidate.setdefault(candidate_id, []).append(shown)
    return by_message, by_candidate


def screen_spans(
    *, comparison_id: int
) -> tuple[list[tuple[int, str, str]], dict[int, list[ShownSpan]], dict[int, list[ShownSpan]]]:
    """For the ranking screen, in one statement: the messages from the root to the prompt as (id, role,
    content), and the spans not dismissed of those messages and of the comparison's candidates."""
    with connection.cursor() as cursor:
        cursor.execute(_SCREEN, [comparison_id, comparison_id])
        rows = cursor.fetchall()
    messages, prompt_id = {}, None
    by_message: dict[int, list[ShownSpan]] = {}
    by_candidate: dict[int, list[ShownSpan]] = {}
    for kind, text_id, parent_id, prompt, role, content, span_id, entity_type, start, end, status in rows:
        if kind == "message":
            messages[text_id], prompt_id = (parent_id, role, content), prompt
        if span_id is not None:
            shown = ShownSpan(span_id, entity_type, start, end, status)
            (by_message if kind == "message" else by_candidate).setdefault(text_id, []).append(shown)
    path, message_id = [], prompt_id
    while message_id is not None:
        parent_id, role, content = messages[message_id]
        path.append((message_id, role, content))
        message_id = parent_id
    return path[::-1], by_message, by_candidate


def _shown_on_a_comparison_of(*, user, conversation_id: int, message_id: int | None, candidate_id: int | None) -> bool:
    """Whether the trainer holds or held a lease on a comparison that shows this text (or wrote the chat)."""
    if Conversation.objects.filter(id=conversation_id, created_by=user).exists():
        return True
    assigned = Assignment.objects.filter(trainer=user, comparison__conversation_id=conversation_id)
    if candidate_id is not None:
        return assigned.filter(comparison__candidates__id=candidate_id).exists()
    prompts = set(assigned.values_list("comparison__prompt_message_id", flat=True))
    if not prompts:
        return False
    # A message is shown on every comparison whose prompt lies below it in the tree.
    parents = dict(Message.objects.filter(conversation_id=conversation_id).values_list("id", "parent_id"))
    for prompt_id in prompts:
        node = prompt_id
        while node is not None:
            if node == message_id:
                return True
            node = parents.get(node)
    return False


def pii_text_visible(*, user, project: Project, message_id: int | None = None, candidate_id: int | None = None) -> bool:
    """Whether `user` may see this message or candidate of `project`: a lead sees all of them, a trainer
    those of the comparisons they were assigned (whether they ranked, skipped or let it expire) and of
    their own chats."""
    texts = (
        Message.objects.filter(id=message_id, conversation__project=project).values_list("conversation_id", flat=True)
        if message_id is not None
        else Candidate.objects.filter(id=candidate_id, comparison__project=project).values_list(
            "comparison__conversation_id", flat=True
        )
    )
    conversation_id = texts.first()
    if conversation_id is None:
        return False
    if (
        getattr(project, "viewer_role", None) == Membership.Role.LEAD
        or Membership.objects.filter(project=project, user=user, role=Membership.Role.LEAD).exists()
    ):
        return True
    return _shown_on_a_comparison_of(
        user=user, conversation_id=conversation_id, message_id=message_id, candidate_id=candidate_id
    )


def pii_span_get_for_reviewer(*, user, project: Project, span_id: int) -> PiiSpan:
    """A span of `project` on a text the user may see (`pii_text_visible`); 404 otherwise."""
    span = PiiSpan.objects.filter(id=span_id, project=project).first()
    if span is None or not pii_text_visible(
        user=user, project=project, message_id=span.message_id, candidate_id=span.candidate_id
    ):
        raise Http404("No such span")
    return span
