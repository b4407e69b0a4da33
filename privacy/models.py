from django.conf import settings
from django.db import models
from django.db.models import F, Q

from labeler.models import Candidate, Conversation, Message, Project

_ONE_OF = Q(message__isnull=False, candidate__isnull=True) | Q(message__isnull=True, candidate__isnull=False)


class PiiPolicy(models.Model):
    """What exports do with a project's personal data; a project without a row redacts."""

    class Policy(models.TextChoices):
        REDACT = "redact", "Redact: replace it with typed placeholders"
        DROP = "drop", "Drop: leave out rows that contain any"
        KEEP = "keep", "Keep: export the text as it is"

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="pii_policy")
    policy = models.CharField(max_length=10, choices=Policy, default=Policy.REDACT)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "PII policies"

    def __str__(self) -> str:
        return f"{self.project}: {self.policy}"


class PiiScan(models.Model):
    """That a message's or a candidate's text has been scanned: the background scan's bookmark."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="pii_scan")
    candidate = models.OneToOneField(
        Candidate, null=True, blank=True, on_delete=models.CASCADE, related_name="pii_scan"
    )
    detector = models.CharField(max_length=100)
    spans_found = models.PositiveIntegerField(default=0)
    scanned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=_ONE_OF, name="piiscan_message_or_candidate")]

    def __str__(self) -> str:
        return f"Scan of {'message' if self.message_id else 'candidate'} {self.message_id or self.candidate_id}"


class PiiSpan(models.Model):
    """Personal data in a message's or a candidate's text: where (offsets into the text as stored), what, how sure."""

    class Status(models.TextChoices):
        DETECTED = "detected", "Detected"
        CONFIRMED = "confirmed", "Confirmed by a trainer"
        DISMISSED = "dismissed", "Dismissed by a trainer"
        ADDED = "added", "Marked by a trainer"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # The conversation the text belongs to: exports number a conversation's values across its rows.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="pii_spans")
    candidate = models.ForeignKey(Candidate, null=True, blank=True, on_delete=models.CASCADE, related_name="pii_spans")
    entity_type = models.CharField(max_length=40)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    score = models.FloatField()
    detector = models.CharField(max_length=100)
    # A keyed hash of the value (never the value): the same value gets the same placeholder.
    value_hash = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status, default=Status.DETECTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_OF, name="piispan_message_or_candidate"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="piispan_not_empty"),
            models.UniqueConstraint(
                fields=["message", "start", "end", "entity_type"], name="piispan_unique_in_message"
            ),
            models.UniqueConstraint(
                fields=["candidate", "start", "end", "entity_type"], name="piispan_unique_in_candidate"
            ),
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="piispan_conversation_idx")]

    def __str__(self) -> str:
        return f"{self.entity_type} [{self.start}:{self.end}] ({self.status})"


class Erasure(models.Model):
    """A lead's deletion of conversations: who, when, how much; never the deleted text nor the search."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How the conversations were found (`external_id` or `search`) and a keyed hash of what was asked.
    found_by = models.CharField(max_length=20)
    query_hash = models.CharField(max_length=64)
    counts = models.JSONField(default=dict, help_text="Rows deleted, by kind.")
    conversation_ids = models.JSONField(default=list, help_text="Database ids of the deleted conversations.")
    exports_to_rebuild = models.JSONField(default=list, help_text="Finished exports that held the deleted data.")
    erased_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Erasure in {self.project} at {self.erased_at:%Y-%m-%d %H:%M}"
