from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from labeler.models import HARMFUL, HELPFUL, RANKING_QUESTIONS, Assignment, Candidate, Comparison, Message, Project
from rankings.judge_answers import DEFAULT_PROMPT


class Ranking(models.Model):
    """A trainer's judgement of one comparison: tiers of candidate ids, best first.

    A tier holding several ids is a tie. One ranking per trainer per comparison.
    """

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="rankings")
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rankings")
    assignment = models.OneToOneField(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="ranking"
    )
    tiers = models.JSONField()
    flags = models.JSONField(default=dict, blank=True, help_text="Candidate id → list of flag keys.")
    # The question the trainer answered, from the project at submission: exports never mix them by accident.
    # Database defaults on both, so writers that name only the columns they fill (COPY, bench SQL) keep working.
    question = models.CharField(
        max_length=10,
        choices=[(HELPFUL, RANKING_QUESTIONS[HELPFUL]), (HARMFUL, RANKING_QUESTIONS[HARMFUL])],
        default=HELPFUL,
        db_default=HELPFUL,
    )
    attacks = models.JSONField(
        default=dict,
        db_default={},
        blank=True,
        help_text="Red team: candidate id → {category, tactic} of a successful attack.",
    )
    # Projects that collect preference strength: for each tier but the last, how much better it is
    # than the next (a key of labeler.strength.STRENGTHS). The margins are the project's, read at export.
    strengths = models.JSONField(default=list, db_default=[], blank=True)
    rationale = models.TextField(blank=True)
    none_acceptable = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    # The order the candidates were shown in, copied from the assignment: it is data.
    display_order = models.JSONField(default=list)
    matches_display_order = models.BooleanField(default=False)
    confirmed_display_order = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the trainer last revised it (rankings/revisions.py); submitted_at stays the first submission.
    revised_at = models.DateTimeField(null=True, blank=True)
    # The ratings again (rankings.Rating holds them), packed for the statistics: reading 2 million
    # rows at each recompute would cost more than the whole recompute may. `rating_keys` is the
    # rubric's attribute keys, comma-separated; `rating_values` the display order's candidate ids
    # (big-endian int64), then per attribute in that order a signed byte per candidate, -128 where
    # none was given (rankings/ratings.py, `ratings_packed`). Empty without ratings.
    rating_keys = models.CharField(max_length=500, blank=True, default="", db_default="")
    rating_values = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comparison", "trainer"], name="ranking_one_per_trainer_and_comparison"),
        ]
        indexes = [
            models.Index(fields=["trainer", "submitted_at"], name="ranking_trainer_idx"),
            # The data browser's trainer filter reads a trainer's comparisons from the index alone.
            models.Index(fields=["trainer", "comparison"], name="ranking_trainer_comparison_idx"),
            # Few rankings are ever revised: the sweep for stale statistics finds the latest revisions here.
            models.Index(fields=["-revised_at"], condition=Q(revised_at__isnull=False), name="ranking_revised_idx"),
        ]

    def __str__(self) -> str:
        return f"Ranking of comparison {self.comparison_id} by {self.trainer}"


class Rating(models.Model):
    """A trainer's rating of one candidate on one attribute of the project's rubric (labeler/rubric.py).

    The record of ratings: exports and the revise page read them by ranking, and a row per value
    keeps each one a plain integer column to check and query. The statistics read the packed copy
    on the ranking (`Ranking.rating_values`) instead.
    """

    # The unique constraint's index, led by the ranking, serves lookups by ranking.
    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="+")
    attribute = models.CharField(max_length=40)
    value = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "candidate", "attribute"], name="rating_one_per_ranking_candidate_attribute"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute} = {self.value} for candidate {self.candidate_id}"


class SafeAnswer(models.Model):
    """The answer the model should have given to a successful attack: chosen over the harmful candidate.

    Written by a lead or a trainer who ranked the comparison, or picked from that comparison's
    candidates (`from_candidate`). One per author and harmful candidate; writing again replaces it.
    """

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="safe_answers")
    harmful_candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="safe_answers")
    text = models.TextField()
    from_candidate = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="picked_as_safe"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["harmful_candidate", "author"], name="safe_answer_one_per_author_and_candidate"
            ),
        ]
        indexes = [models.Index(fields=["comparison"], name="safe_answer_comparison_idx")]

    def __str__(self) -> str:
        return f"Safe answer to candidate {self.harmful_candidate_id} by {self.author}"


class Adjudication(models.Model):
    """A lead's ruling on a comparison; it becomes that comparison's consensus."""

    comparison = models.OneToOneField(Comparison, on_delete=models.CASCADE, related_name="adjudication")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tiers = models.JSONField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Adjudication of comparison {self.comparison_id}"


class ProjectStats(models.Model):
    """The statistics of a project as last computed in the background."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="stats")
    data = models.JSONField(default=dict)
    rankings_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "project stats"

    def __str__(self) -> str:
        return f"Stats of {self.project}"


class ComparisonAgreement(models.Model):
    """How far the trainers of one comparison agree, as the last statistics computation found it.

    Written with the project's statistics (rankings/comparison_agreement.py), only where the figure
    changed; the data browser filters on it. A comparison with fewer than two rankings has no row.
    """

    comparison = models.OneToOneField(
        Comparison, primary_key=True, on_delete=models.CASCADE, related_name="agreement_figure"
    )
    # The comparison's project, so that one index finds a project's comparisons in an agreement band.
    # Copied from the comparison, whose own key already ties the row to the project, so no constraint
    # of its own: checking it at commit cost the first computation (33,334 rows) 0.2 s. Deleting a
    # project still deletes the rows (Django cascades, and so does the comparison).
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    exact = models.FloatField(null=True, help_text="Share of the annotator pairs' judged pairs that agree exactly.")
    # The browser's band of `exact` and the comparison's creation, copied here so that one index
    # lists a band's comparisons newest first, as the browser shows them.
    band = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "band", "-created_at", "-comparison"], name="agreement_band_newest_idx")
        ]

    def __str__(self) -> str:
        return f"Agreement of comparison {self.comparison_id}"


class ComparisonText(models.Model):
    """One text of a comparison, as the data browser's full-text search reads it: one of its
    candidates, or a message of its conversation (one row per comparison of that conversation).

    PostgreSQL triggers write these rows whenever a candidate, a message or a comparison is written
    (rankings/migrations/0006_comparison_text.py), so that a search reads
    this narrow table and its GIN index rather than the wide candidate and message tables. SQLite
    has no triggers here and searches the texts themselves.
    """

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Candidate, null=True, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, on_delete=models.CASCADE, related_name="+")
    document = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["document"], name="comparison_text_document_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(candidate__isnull=False, message__isnull=True)
                | Q(candidate__isnull=True, message__isnull=False),
                name="comparison_text_one_source",
            )
        ]

    def __str__(self) -> str:
        return f"Text of comparison {self.comparison_id}"


def default_judge_prompt() -> str:
    return DEFAULT_PROMPT


class Judge(models.Model):
    """A project's AI judge: an OpenAI-compatible chat endpoint that ranks each ready comparison.

    Its own server settings rather than one of the project's sampling endpoints: every active
    sampling endpoint supplies candidates, and a judge must not.
    """

    class Mode(models.TextChoices):
        LIST = "list", "Rank all candidates at once"
        PAIRS = "pairs", "Judge each pair of candidates"

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="judge")
    base_url = models.URLField("base URL", max_length=500, help_text="The server's /v1 URL.")
    model = models.CharField(max_length=200)
    api_key_env = models.CharField(
        "API key environment variable",
        max_length=100,
        blank=True,
        help_text="Name of the environment variable that holds the key; the key itself is never stored.",
    )
    prompt = models.TextField(
        default=default_judge_prompt,
        help_text="Placeholders: {conversation}, {answers} (required), {labels}, {example}.",
    )
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.LIST)
    max_tokens = models.PositiveIntegerField(default=64, validators=[MinValueValidator(1)])
    timeout_seconds = models.FloatField(default=60.0, validators=[MinValueValidator(0.1)])
    is_active = models.BooleanField(default=True, help_text="Judge new comparisons, and those not judged yet.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Judge of {self.project} ({self.model})"


class JudgeRanking(models.Model):
    """The AI judge's ranking of one comparison: kept apart from trainers' rankings, so that no
    human figure, queue or overlap ever counts it.

    `runs` holds every request as asked and answered ({"order", "reply", "tiers" or null, "error"}):
    the candidates in the order shown, then the same reversed. `pairs` holds each candidate pair
    (a < b) with each order's relation (+1: a preferred, 0: tie, -1: b), and `tiers` the ranking
    they agree on, a pair they disagree on tied.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be judged"
        DONE = "done", "Judged"
        FAILED = "failed", "Failed"

    comparison = models.OneToOneField(Comparison, on_delete=models.CASCADE, related_name="judge_ranking")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    mode = models.CharField(max_length=10, choices=Judge.Mode, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    tiers = models.JSONField(null=True, blank=True)
    pairs = models.JSONField(default=list, blank=True)
    runs = models.JSONField(default=list, blank=True)
    swap_consistent = models.BooleanField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    judged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_try_at"], condition=Q(status="pending"), name="judge_ranking_due_idx"),
            models.Index(fields=["project", "status"], name="judge_ranking_project_idx"),
            # The beat's search for stale statistics reads a project's latest judgement here.
            models.Index(fields=["project", "-judged_at"], name="judge_ranking_judged_idx"),
        ]

    def __str__(self) -> str:
        return f"Judge's ranking of comparison {self.comparison_id}"
