from dataclasses import astuple

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from labeler.harm import default_harm_categories
from labeler.strength import DEFAULT_STRENGTH_MARGINS, STRENGTHS, default_strength_margins
from ranklab.answer_style import style_of

DEFAULT_FLAG_TAXONOMY = [
    {"key": "fails_task", "label": "Fails the task"},
    {"key": "untruthful", "label": "Untruthful / hallucination"},
    {"key": "harmful_advice", "label": "Harmful advice"},
    {"key": "hateful", "label": "Hateful"},
    {"key": "sexual", "label": "Sexual content"},
    {"key": "violent", "label": "Violent content"},
    {"key": "self_harm", "label": "Encourages self-harm"},
    {"key": "personal_data", "label": "Contains personal data"},
    {"key": "unnecessary_refusal", "label": "Refuses needlessly"},
    {"key": "other", "label": "Other"},
]

# What a trainer may pick when skipping a comparison, until a lead sets the project's own.
DEFAULT_SKIP_REASONS = [
    "I can't judge this topic",
    "The prompt is unsafe or inappropriate",
    "All candidates are identical",
    "The candidates are broken or empty",
]


def default_flag_taxonomy() -> list[dict]:
    return [dict(flag) for flag in DEFAULT_FLAG_TAXONOMY]


def default_skip_reasons() -> list[str]:
    return list(DEFAULT_SKIP_REASONS)


# The question a ranking answers: its key is stored with each ranking and travels into every export.
HELPFUL, HARMFUL = "helpful", "harmful"
RANKING_QUESTIONS = {HELPFUL: "Which response is better?", HARMFUL: "Which response is more harmful?"}
# The flag a red-team trainer sets on an answer that refuses a harmless request.
OVER_REFUSAL_FLAG = {"key": "unnecessary_refusal", "label": "Refuses needlessly"}


class Project(models.Model):
    class Kind(models.TextChoices):
        COMPARISON = "comparison", "Comparison (imported prompts)"
        CHAT = "chat", "Chat (trainers write the conversation)"

    class QueueOrder(models.TextChoices):
        OLDEST = "oldest", "Oldest first"
        INFORMATIVE = "informative", "Most informative first"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.COMPARISON)
    guidelines = models.TextField(blank=True, help_text="Markdown, shown to trainers.")
    k = models.PositiveSmallIntegerField(
        "candidates per comparison", default=4, validators=[MinValueValidator(2), MaxValueValidator(9)]
    )
    overlap = models.PositiveSmallIntegerField(
        "rankings wanted per comparison", default=3, validators=[MinValueValidator(1)]
    )
    ties_allowed = models.BooleanField(default=True)
    rationale_required = models.BooleanField(default=False)
    lease_minutes = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    revise_minutes = models.PositiveIntegerField(
        "minutes to revise a ranking",
        default=60,
        db_default=60,
        help_text="How long after submitting a trainer may revise a ranking, while its comparison still waits "
        "for other trainers' rankings. 0: rankings cannot be revised.",
    )
    queue_order = models.CharField(
        max_length=12,
        choices=QueueOrder,
        default=QueueOrder.OLDEST,
        db_default=QueueOrder.OLDEST,
        help_text=(
            "Oldest first: partly ranked comparisons, then the oldest, so comparisons complete one after another. "
            "Most informative first: the comparison whose order is least certain, so fewer rankings reach the "
            "same consensus; every comparison gets its first ranking before any gets a second."
        ),
    )
    flag_taxonomy = models.JSONField(default=default_flag_taxonomy, blank=True)
    skip_reasons = models.JSONField(
        default=default_skip_reasons, blank=True, help_text="The reasons a trainer may pick when skipping."
    )
    # Verbosity is a bias trainers bring and a reward model learns: candidates of comparable
    # length give it less to learn from (`labeler.sampling.length`).
    length_words = models.PositiveIntegerField(
        "answer length in words",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Ask every endpoint for answers of about this many words (an instruction added to the request).",
    )
    length_max_tokens = models.PositiveIntegerField(
        "most tokens per candidate",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Cap every candidate at this many tokens (below an endpoint's own limit).",
    )
    length_resample_ratio = models.FloatField(
        "resample the longest above",
        null=True,
        blank=True,
        validators=[MinValueValidator(1.0)],
        help_text="Resample the longest candidate once when it is more than this many times the median length "
        "of the others (characters); the shorter of its two answers is kept.",
    )
    red_team = models.BooleanField(
        "red team",
        default=False,
        help_text="Red team: trainers try to make the model misbehave, and rank which response is more harmful.",
    )
    harm_categories = models.JSONField(default=default_harm_categories, blank=True)
    # The attributes a trainer rates each candidate on (labeler/rubric.py); empty: no ratings asked.
    rubric = models.JSONField(default=list, db_default=[], blank=True)
    # Chat projects: what a new conversation starts with, and how long it may grow.
    system_prompt = models.TextField(blank=True, help_text="Chat projects: the system message of every conversation.")
    scenarios = models.JSONField(
        default=list, blank=True, help_text="Chat projects: openings a trainer may start a conversation from."
    )
    turn_limit = models.PositiveSmallIntegerField(
        "user turns per conversation", default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    length_preference_bar = models.PositiveSmallIntegerField(
        "length-preference bar (percentage points)",
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="A trainer is listed to look at once they pick the longer answer this many points more often "
        "than the consensus does (the whole 95% interval above it).",
    )
    collect_strength = models.BooleanField(
        "collect preference strength",
        default=False,
        db_default=False,
        help_text="For each rank and the next, trainers also say how much better it is: slightly, clearly or much.",
    )
    # The margins of slightly, clearly and much (labeler.strength): pair exports sum them between two ranks.
    strength_margins = models.JSONField(
        default=default_strength_margins, db_default=list(DEFAULT_STRENGTH_MARGINS), blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(k__gte=2, k__lte=9), name="project_k_between_2_and_9"),
            models.CheckConstraint(condition=Q(overlap__gte=1), name="project_overlap_at_least_1"),
            models.CheckConstraint(condition=Q(lease_minutes__gte=1), name="project_lease_at_least_1_minute"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("project_detail", kwargs={"slug": self.slug})

    @property
    def flag_keys(self) -> set[str]:
        return {flag["key"] for flag in self.flag_taxonomy}

    @property
    def question(self) -> str:
        """The key of the question its trainers answer when they rank."""
        return HARMFUL if self.red_team else HELPFUL

    @property
    def question_text(self) -> str:
        return RANKING_QUESTIONS[self.question]

    @property
    def harm_category_keys(self) -> set[str]:
        return {category["key"] for category in self.harm_categories}

    @property
    def strength_margin_of(self) -> dict[str, float]:
        """Each strength's margin, as the project sets them now."""
        return dict(zip(STRENGTHS, self.strength_margins, strict=True))

    @property
    def comparative(self) -> str:
        """How the ranking's question compares two answers: "better", or "more harmful" in a red team."""
        return "more harmful" if self.red_team else "better"


class Membership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        TRAINER = "trainer", "Trainer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role)
    created_at = models.DateTimeField(auto_now_add=True)
    # A paused trainer keeps their membership and rankings but may not take or submit comparisons.
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_one_per_user_and_project"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.project} · {self.role}"


class Invitation(models.Model):
    """An e-mailed link that lets its holder create an account and join a project with a role.

    Only the token's SHA-256 is stored: a leaked database holds no usable link.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "email"], name="invitation_project_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} → {self.project} ({self.role})"

    def status_at(self, now) -> "Invitation.Status":
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING


class ModelEndpoint(models.Model):
    """An OpenAI-compatible chat-completions server and how to sample from it."""

    class SeedPolicy(models.TextChoices):
        RANDOM = "random", "A fresh random seed per candidate"
        FIXED = "fixed", "Base seed + sample index (reproducible)"
        NONE = "none", "Send no seed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="endpoints")
    name = models.CharField(max_length=100)
    base_url = models.URLField(max_length=500)
    model = models.CharField(max_length=200)
    api_key_env = models.CharField(
        "API key environment variable",
        max_length=100,
        blank=True,
        help_text="Name of the environment variable that holds the key; the key itself is never stored.",
    )
    system_prompt = models.TextField(blank=True)
    temperature = models.FloatField(default=1.0)
    top_p = models.FloatField(default=1.0)
    max_tokens = models.PositiveIntegerField(default=256)
    seed_policy = models.CharField(max_length=10, choices=SeedPolicy, default=SeedPolicy.RANDOM)
    base_seed = models.BigIntegerField(default=0)
    stop = models.JSONField(default=list, blank=True)
    share = models.PositiveSmallIntegerField(
        default=1, help_text="How many of the K candidates this endpoint supplies."
    )
    max_concurrency = models.PositiveSmallIntegerField(default=4)
    timeout_seconds = models.FloatField(default=60.0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="endpoint_name_unique_per_project"),
            models.CheckConstraint(condition=Q(share__gte=1), name="endpoint_share_at_least_1"),
            models.CheckConstraint(condition=Q(max_concurrency__gte=1), name="endpoint_concurrency_at_least_1"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model})"


class Conversation(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="conversations")
    external_id = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Chat conversations: the message the trainer is at (the end of the branch on screen; None
    # before the first turn), a counter every write bumps so a stale tab is told, and the end.
    head = models.ForeignKey("Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Bulk imports write rows with COPY, naming only the columns they fill: the database fills these.
    revision = models.PositiveIntegerField(default=0, db_default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="conversation_external_id_unique_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class Message(models.Model):
    """A node of the conversation tree; alternative continuations share a parent."""

    class Role(models.TextChoices):
        SYSTEM = "system", "System"
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    role = models.CharField(max_length=10, choices=Role)
    content = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An assistant turn written in chat: the comparison whose user turn it answers, the candidate
    # it continues with (or, for a demonstration, the candidate it was edited from, if any), and
    # whether the trainer wrote it (a demonstration, ranked above every candidate of that turn).
    answers = models.ForeignKey(
        "Comparison", null=True, blank=True, on_delete=models.CASCADE, related_name="continuations"
    )
    candidate = models.ForeignKey(
        "Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="continuations"
    )
    is_demonstration = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A double-clicked "continue" cannot make two turns out of one candidate.
            models.UniqueConstraint(
                fields=["answers", "candidate"],
                condition=Q(is_demonstration=False),
                name="message_one_continuation_per_candidate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class Comparison(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SAMPLING = "sampling", "Sampling"
        READY = "ready", "Ready"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comparisons")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="comparisons")
    prompt_message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="comparisons", help_text="The user turn the candidates answer."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    failure_reason = models.TextField(blank=True)
    # Kept in step with Ranking rows inside the submitting transaction, so the queue
    # can filter on it without counting.
    rankings_count = models.PositiveIntegerField(default=0)
    is_gold = models.BooleanField(default=False)
    # How much its next ranking is expected to change its consensus (rankings/informativeness.py),
    # and the rankings_count it was computed at: the "most informative first" queue reads the
    # score through an index, the background refresh finds the stale ones (count differs).
    # Bulk imports name only the columns they fill: the database fills these.
    queue_score = models.FloatField(default=1.0, db_default=1.0)
    queue_score_rankings = models.IntegerField(default=0, db_default=0)
    sampling_started_at = models.DateTimeField(null=True, blank=True)
    # The PostgreSQL transaction id that completed the comparison: the pipeline cursor
    # orders by it so that a late-committing transaction is never skipped.
    completed_xid = models.BigIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "status", "created_at"], name="comparison_queue_idx"),
            # The queue's scan order: comparisons that already have rankings first, then the oldest.
            models.Index(
                "project",
                F("rankings_count").desc(),
                "created_at",
                "id",
                condition=Q(status="ready"),
                name="comparison_ready_queue_idx",
            ),
            # The "most informative first" scan order: the highest score first, then the oldest.
            models.Index(
                "project",
                F("queue_score").desc(),
                "created_at",
                "id",
                condition=Q(status="ready"),
                name="comparison_ready_score_idx",
            ),
            models.Index(
                fields=["project"],
                condition=Q(status="ready") & ~Q(queue_score_rankings=F("rankings_count")),
                name="comparison_stale_score_idx",
            ),
            models.Index(fields=["status", "sampling_started_at"], name="comparison_sampling_idx"),
            models.Index(fields=["project", "completed_xid", "id"], name="comparison_completed_idx"),
            # The data browser's order, newest first, and its date range.
            models.Index(fields=["project", "created_at", "id"], name="comparison_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Comparison {self.pk} ({self.status})"


# The columns that hold a candidate's style (ranklab/answer_style.py), in the order of Style's fields.
CANDIDATE_STYLE_FIELDS = ("style_length", "style_lines", "style_headers", "style_list_items", "style_bold")


def candidate_style(text: str) -> dict[str, int]:
    """The style columns of a candidate with this text: whatever writes a candidate's text writes these."""
    return dict(zip(CANDIDATE_STYLE_FIELDS, astuple(style_of(text)), strict=True))


class Candidate(models.Model):
    class Source(models.TextChoices):
        MODEL = "model", "Sampled from a model"
        IMPORT = "import", "Imported"
        TRAINER = "trainer", "Written by a trainer"

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="candidates")
    sample_index = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=10, choices=Source, default=Source.MODEL)
    text = models.TextField()
    endpoint = models.ForeignKey(
        ModelEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    model_name = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=40, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    is_duplicate = models.BooleanField(default=False, help_text="Identical to another candidate after re-sampling.")
    created_at = models.DateTimeField(auto_now_add=True)
    # The text's style, measured when the text is written: the statistics read these rather than every
    # text at every recompute. Empty where unknown, and then the statistics measure the text itself.
    style_length = models.PositiveIntegerField(null=True, blank=True, editable=False, help_text="Characters.")
    style_lines = models.PositiveIntegerField(null=True, blank=True, editable=False, help_text="Non-blank lines.")
    style_headers = models.PositiveIntegerField(null=True, blank=True, editable=False, help_text="Markdown headers.")
    style_list_items = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Markdown list items."
    )
    style_bold = models.PositiveIntegerField(null=True, blank=True, editable=False, help_text="Markdown bold spans.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comparison", "sample_index"], name="candidate_sample_index_unique"),
        ]
        ordering = ["comparison_id", "sample_index"]
        # The data browser's endpoint filter reads the comparisons of an endpoint from the index alone.
        indexes = [models.Index(fields=["endpoint", "comparison"], name="candidate_endpoint_idx")]

    def __str__(self) -> str:
        return f"Candidate {self.sample_index} of comparison {self.comparison_id}"

    def save(self, *args, **kwargs) -> None:
        for name, value in candidate_style(self.text).items():
            setattr(self, name, value)
        if (update_fields := kwargs.get("update_fields")) is not None and "text" in update_fields:
            kwargs["update_fields"] = [*update_fields, *CANDIDATE_STYLE_FIELDS]
        super().save(*args, **kwargs)


class Assignment(models.Model):
    """A trainer's lease on a comparison and the order its candidates were shown in."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"
        EXPIRED = "expired", "Expired"

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="assignments")
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    display_order = models.JSONField(help_text="Candidate ids in the order shown to this trainer.")
    skip_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "trainer"],
                condition=Q(status="active"),
                name="assignment_one_active_per_trainer_and_comparison",
            ),
        ]
        indexes = [
            models.Index(fields=["trainer", "status", "expires_at"], name="assignment_trainer_idx"),
            models.Index(fields=["comparison", "trainer"], name="assignment_comparison_idx"),
            models.Index(
                fields=["comparison", "expires_at"], condition=Q(status="active"), name="assignment_active_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} on comparison {self.comparison_id} ({self.status})"
