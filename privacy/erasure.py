"""Erasing conversations on request: found by external id or by a string in their texts, previewed, then deleted.

Everything derived from a conversation goes with it through the database's foreign keys (its
messages and their spans, its comparisons with their candidates, assignments and rankings, the
chat turns that continue it): Django's deletion collector counts them for the preview without
this module knowing the apps above it. The audit row keeps who, when and how many of each kind,
a keyed hash of what was asked, and the database ids, never the text.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Min, Q
from django.db.models.deletion import Collector

from labeler.models import Comparison, Conversation, Project
from privacy.models import Erasure
from privacy.signals import conversations_erased, exports_holding
from ranklab.errors import RankLabError

SEARCH_MIN_LENGTH = 4
PREVIEW_IDS = 100


@dataclass(frozen=True)
class ErasurePlan:
    """What an erasure would remove: the conversations, how many rows of each kind, the files to rebuild."""

    found_by: str
    conversation_ids: list[int]
    external_ids: list[str]
    counts: dict[str, int]
    exports: list[dict]

    @property
    def token(self) -> str:
        """Names this set of conversations: a confirmation erases only what its preview showed."""
        return hashlib.sha256(",".join(map(str, self.conversation_ids)).encode()).hexdigest()[:32]


def _query_hash(project: Project, found_by: str, query: str) -> str:
    key = f"erasure:{project.id}:{found_by}:{query}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), key, hashlib.sha256).hexdigest()


def _conversations(*, project: Project, external_id: str, search: str):
    external_id, search = external_id.strip(), search.strip()
    if bool(external_id) == bool(search):
        raise RankLabError("Give either a conversation id or a text to search for, not both.")
    if external_id:
        return "external_id", external_id, Conversation.objects.filter(project=project, external_id=external_id)
    if len(search) < SEARCH_MIN_LENGTH:
        raise RankLabError(f"search: give at least {SEARCH_MIN_LENGTH} characters, so that it finds what you mean.")
    found = Conversation.objects.filter(project=project).filter(
        Q(messages__content__icontains=search) | Q(comparisons__candidates__text__icontains=search)
    )
    return "search", search, Conversation.objects.filter(id__in=found.values("id"))


def erasure_plan(*, project: Project, external_id: str = "", search: str = "") -> ErasurePlan:
    """The preview: the conversations the id or the search finds in `project`, and everything that would go."""
    found_by, _, conversations = _conversations(project=project, external_id=external_id, search=search)
    ids = list(conversations.order_by("id").values_list("id", flat=True))
    external_ids = list(conversations.order_by("id").values_list("external_id", flat=True)[:PREVIEW_IDS])
    counts: dict[str, int] = {}
    if ids:
        collector = Collector(using=DEFAULT_DB_ALIAS)
        collector.collect(Conversation.objects.filter(id__in=ids))
        for model, instances in collector.data.items():
            counts[model._meta.label] = counts.get(model._meta.label, 0) + len(instances)
        for queryset in collector.fast_deletes:
            label = queryset.model._meta.label
            counts[label] = counts.get(label, 0) + queryset.count()
    since = Comparison.objects.filter(conversation_id__in=ids, completed_at__isnull=False).aggregate(
        first=Min("completed_at")
    )["first"]
    exports = []
    if since is not None:
        for _, held in exports_holding.send(sender=Erasure, project_id=project.id, since=since):
            exports += held
    return ErasurePlan(
        found_by=found_by,
        conversation_ids=ids,
        external_ids=external_ids,
        counts={label: count for label, count in sorted(counts.items()) if count},
        exports=sorted(exports, key=lambda export: export["id"]),
    )


def erasure_do(*, project: Project, user, token: str, external_id: str = "", search: str = "") -> Erasure:
    """Delete what the preview named by `token` showed, and record it; nothing if the search now finds otherwise."""
    found_by, query, _ = _conversations(project=project, external_id=external_id, search=search)
    with transaction.atomic():
        plan = erasure_plan(project=project, external_id=external_id, search=search)
        if not plan.conversation_ids:
            raise RankLabError("Nothing to erase: no conversation matches.")
        if plan.token != token:
            raise RankLabError("The conversations found changed since the preview: look at the preview again.")
        Conversation.objects.filter(id__in=plan.conversation_ids).delete()
        conversations_erased.send(sender=Erasure, project_id=project.id)
        return Erasure.objects.create(
            project=project,
            erased_by=user,
            found_by=found_by,
            query_hash=_query_hash(project, found_by, query),
            counts=plan.counts,
            conversation_ids=plan.conversation_ids,
            exports_to_rebuild=[export["id"] for export in plan.exports],
        )
