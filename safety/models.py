from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from labeler.models import Candidate, Comparison, Message, Project


class ModerationEndpoint(models.Model):
    """A project's content filter: an OpenAI-compatible `POST /v1/moderations` server."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="moderation_endpoint")
    base_url = models.URLField(max_length=500, help_text="The server's /v1 URL, e.g. https://api.openai.com/v1.")
    model = models.CharField(max_length=200, default="omni-moderation-latest")
    api_key_env = models.CharField(
        "API key environment variable",
        max_length=100,
        blank=True,
        help_text="Name of the environment variable that holds the key; the key itself is never stored.",
    )
    timeout_seconds = models.FloatField(default=30.0, validators=[MinValueValidator(0.1)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Moderation of {self.project} by {self.model}"


class ModerationVerdict(models.Model):
    """The filter's verdict on one text: a sampled candidate, or a user turn a trainer wrote in chat.

    A row is made `pending` in the transaction that stores the text, so the database, not a
    broker message, says what is still to be checked: `safety.tasks.moderation_sweep` finds
    what a lost message or a filter that was down left behind.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        CHECKED = "checked", "Checked"
        UNAVAILABLE = "unavailable", "Unavailable, will be checked again"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # The comparison the text belongs to: its candidate's, or the one a user turn prompts. It is
    # what a trainer holds an assignment for, so it decides who may review the verdict.
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="moderation_verdicts")
    candidate = models.OneToOneField(
        Candidate, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_verdict"
    )
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_verdict"
    )
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING)
    flagged = models.BooleanField(null=True, blank=True)
    categories = models.JSONField(
        default=list, blank=True, help_text="The categories the filter flagged, as it named them."
    )
    scores = models.JSONField(default=dict, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(candidate__isnull=False, message__isnull=True)
                | Q(candidate__isnull=True, message__isnull=False),
                name="moderation_verdict_of_one_text",
            ),
        ]
        indexes = [
            models.Index(fields=["next_try_at"], condition=~Q(status="checked"), name="moderation_verdict_due_idx"),
        ]

    def __str__(self) -> str:
        text = f"candidate {self.candidate_id}" if self.candidate_id else f"message {self.message_id}"
        return f"Moderation of {text} ({self.status})"

    @property
    def flagged_scores(self) -> list[tuple[str, float | None]]:
        """The flagged categories with their scores, highest first."""
        scored = [(category, self.scores.get(category)) for category in self.categories]
        return sorted(scored, key=lambda item: -(item[1] or 0.0))


class ModerationReview(models.Model):
    """A trainer's judgement of a verdict; one per trainer and verdict, which they may change."""

    class Judgement(models.TextChoices):
        CONFIRMED = "confirmed", "The filter is right"
        FALSE_POSITIVE = "false_positive", "Flagged but harmless"
        FALSE_NEGATIVE = "false_negative", "Missed: harmful"

    verdict = models.ForeignKey(ModerationVerdict, on_delete=models.CASCADE, related_name="reviews")
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    judgement = models.CharField(max_length=20, choices=Judgement)
    # For "missed: harmful", the harm key (labeler.harm) of what the filter missed.
    category = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verdict", "trainer"], name="moderation_review_one_per_trainer"),
            models.CheckConstraint(
                condition=~Q(judgement="false_negative") | ~Q(category=""),
                name="moderation_review_missed_has_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} on verdict {self.verdict_id}: {self.judgement}"
