"""The lead's data browser: a project's comparisons narrowed by text, status, endpoint, flag,
trainer, agreement band and creation date.

`BrowseForm` reads the filters from a query string (the page's, or the one an export was handed)
and `comparisons_browse` turns them into one queryset. Text is PostgreSQL full-text search over
the messages of each comparison's conversation and its candidates, through ComparisonText, the
narrow table that triggers keep (rankings/migrations/0006_comparison_text.py);
SQLite, the embedded default, matches substrings instead.
"""

import json
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery
from django.db import OperationalError, connection, transaction
from django.db.models import F, Func, JSONField, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Substr
from django.http import QueryDict

from labeler.models import Candidate, Comparison, Membership, Message, Project
from rankings.comparison_agreement import AGREEMENT_BANDS
from rankings.models import ComparisonAgreement, ComparisonText, Ranking
from ranklab.errors import RankLabError

SEARCH_CONFIG = "english"
# Every value of every member of a ranking's `flags`: the flag keys it set.
FLAG_KEYS_PATH = "$.*[*]"
MAX_TEXT_CHARS = 200
BROWSE_TIMEOUT_MS = 3000


# The names of the query string, in the order a canonical one lists them.
FILTER_NAMES = ("q", "status", "endpoint", "flag", "trainer", "agreement", "created_from", "created_to")


class BrowseForm(forms.Form):
    """The filters of the browser, with the project's own endpoints, flags and trainers to choose from."""

    q = forms.CharField(
        label="Text", required=False, max_length=MAX_TEXT_CHARS, help_text="Words of the conversation or a candidate."
    )
    status = forms.ChoiceField(label="Status", required=False)
    endpoint = forms.TypedChoiceField(label="Endpoint", required=False, coerce=int, empty_value=None)
    flag = forms.ChoiceField(label="Flag", required=False)
    trainer = forms.TypedChoiceField(label="Ranked by", required=False, coerce=int, empty_value=None)
    agreement = forms.ChoiceField(label="Agreement", required=False)
    created_from = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    created_to = forms.DateField(
        label="Created to", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, data, *, project: Project):
        super().__init__(data)
        anything = [("", "any")]
        self.fields["status"].choices = anything + list(Comparison.Status.choices)
        self.fields["endpoint"].choices = anything + [
            (endpoint_id, name) for endpoint_id, name in project.endpoints.order_by("name").values_list("id", "name")
        ]
        self.fields["flag"].choices = anything + [(flag["key"], flag["label"]) for flag in project.flag_taxonomy]
        trainers = (
            get_user_model()
            .objects.filter(memberships__project=project, memberships__role=Membership.Role.TRAINER)
            .order_by("username")
        )
        self.fields["trainer"].choices = anything + list(trainers.values_list("id", "username"))
        self.fields["agreement"].choices = anything + [(key, band.label) for key, band in AGREEMENT_BANDS.items()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            raise forms.ValidationError("The first day of the range comes after its last.")
        return cleaned

    def filters(self) -> dict:
        """The filters that are set, by name; the form must be valid."""
        return {name: value for name in FILTER_NAMES if (value := self.cleaned_data.get(name)) not in (None, "")}


def browse_query(filters: dict) -> str:
    """The canonical query string of a set of filters: what the page links and an export records."""
    return urlencode(
        [(name, value.isoformat() if hasattr(value, "isoformat") else value) for name, value in filters.items()]
    )


def browse_filters_parse(*, project: Project, query: str) -> dict:
    """The filters of a query string, checked against the project; raises RankLabError naming what is wrong."""
    data = QueryDict(query)
    if unknown := sorted(set(data) - set(FILTER_NAMES)):
        raise RankLabError(f"Unknown browser filter {', '.join(unknown)}; the filters are {', '.join(FILTER_NAMES)}.")
    form = BrowseForm(data, project=project)
    if not form.is_valid():
        problems = [
            f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in form.errors.items()
        ]
        raise RankLabError("The browser filter is not valid: " + "; ".join(problems))
    return form.filters()


def comparisons_browse(*, project: Project, filters: dict) -> QuerySet[Comparison]:
    """The project's comparisons that pass every filter, newest first."""
    comparisons = Comparison.objects.filter(project=project)
    newest_first = ("-created_at", "-id")
    if text := filters.get("q"):
        comparisons = comparisons.filter(text_search(text, vendor=connection.vendor))
    if status := filters.get("status"):
        comparisons = comparisons.filter(status=status)
    if endpoint := filters.get("endpoint"):
        comparisons = comparisons.filter(id__in=Candidate.objects.filter(endpoint_id=endpoint).values("comparison_id"))
    if flag := filters.get("flag"):
        flagged = rankings_flagged(flag, vendor=connection.vendor)
        comparisons = comparisons.filter(id__in=flagged.values("comparison_id"))
    if trainer := filters.get("trainer"):
        comparisons = comparisons.filter(id__in=Ranking.objects.filter(trainer_id=trainer).values("comparison_id"))
    if band := filters.get("agreement"):
        comparisons = _in_band(comparisons, project, band)
        if AGREEMENT_BANDS[band].low is not None:
            # The same order, from the band's index: the creation its rows copy, and the comparison
            # id they share. Ordered by the comparison's own columns, PostgreSQL would walk every
            # comparison, newest first, looking each one's agreement up.
            newest_first = ("-agreement_figure__created_at", "-id")
    if start := filters.get("created_from"):
        comparisons = comparisons.filter(created_at__gte=datetime.combine(start, time(), UTC))
    if end := filters.get("created_to"):
        comparisons = comparisons.filter(created_at__lt=datetime.combine(end + timedelta(days=1), time(), UTC))
    return comparisons.order_by(*newest_first)


def newest_matches(matching: QuerySet, *, limit: int) -> list[int] | None:
    """The first `limit` ids of `matching`; None if PostgreSQL gave up after BROWSE_TIMEOUT_MS.

    A word found in nearly every text (common words a lead might try) makes full-text search
    read every message and candidate: the page says so instead of holding a worker for seconds.
    The query runs in one process: for a couple of thousand ids, starting parallel workers took
    longer than they saved (twice as long, for an agreement band at 100,000 comparisons).
    """
    if connection.vendor != "postgresql":
        return list(matching[:limit])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true), "
                    "set_config('max_parallel_workers_per_gather', '0', true)",
                    [f"{BROWSE_TIMEOUT_MS}ms"],
                )
            return list(matching[:limit])
    except OperationalError:
        return None


def comparisons_rows(*, ids: list[int], excerpt_chars: int) -> list[dict]:
    """What the list shows of these comparisons, in this order: read for one page's ids only, so that
    the prompt and agreement joins never run over every matching comparison."""
    rows = Comparison.objects.filter(id__in=ids).values(
        "id",
        "status",
        "created_at",
        "rankings_count",
        "is_gold",
        prompt=Substr("prompt_message__content", 1, excerpt_chars),
        agreement=F("agreement_figure__exact"),
    )
    by_id = {row["id"]: row for row in rows}
    return [by_id[comparison_id] for comparison_id in ids if comparison_id in by_id]


def text_search(text: str, *, vendor: str) -> Q:
    """Comparisons whose conversation has a message, or which have a candidate, matching `text`.

    PostgreSQL: full-text search (web search syntax: "a phrase", or, -word) in English, each text
    on its own, through the GIN index of ComparisonText, which holds every text's vector under its
    comparison. Elsewhere: a case-insensitive substring of a message or a candidate.
    """
    if vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        # Distinct ids, so that the GIN index is read once: given the plain rows, the planner walks
        # the newest comparisons and tests each one's texts, thousands of times.
        return Q(id__in=ComparisonText.objects.filter(document=query).values("comparison_id").distinct())
    candidates = Candidate.objects.filter(text__icontains=text)
    messages = Message.objects.filter(content__icontains=text)
    prompted = Comparison.objects.filter(conversation_id__in=messages.values("conversation_id")).values("id")
    # Without its default order: SQLite refuses an ORDER BY inside a union.
    return Q(id__in=candidates.values("comparison_id").order_by().union(prompted, all=True))


def rankings_flagged(flag: str, *, vendor: str) -> QuerySet[Ranking]:
    """Rankings that set `flag` on any candidate (`flags` maps candidate ids to lists of keys).

    PostgreSQL reads the keys through the expression its GIN index holds; SQLite looks for the
    key, as JSON text, in the column's text.
    """
    if vendor == "postgresql":
        return Ranking.objects.annotate(flag_keys=flag_keys(F("flags"))).filter(flag_keys__contains=[flag])
    return Ranking.objects.annotate(flags_text=Cast("flags", TextField())).filter(flags_text__contains=json.dumps(flag))


def flag_keys(flags) -> Func:
    """Every flag key of a ranking's `flags`, as one JSON array."""
    return Func(flags, Value(FLAG_KEYS_PATH), function="jsonb_path_query_array", output_field=JSONField())


def _in_band(comparisons: QuerySet[Comparison], project: Project, band: str) -> QuerySet[Comparison]:
    if AGREEMENT_BANDS[band].low is None:
        measured = ComparisonAgreement.objects.filter(project=project, exact__isnull=False)
        return comparisons.exclude(id__in=measured.values("comparison_id"))
    return comparisons.filter(agreement_figure__project=project, agreement_figure__band=band)


def tiers_text(tiers: list[list[str]]) -> str:
    """Tiers of candidate letters as the browser prints them: best first, ties joined, "B > A = D > C"."""
    return " > ".join(" = ".join(tier) for tier in tiers)
