"""A lead's review of one comparison: every ranking side by side, and the lead's ruling.

The ruling (an Adjudication) becomes the comparison's consensus in exports and statistics.
On a gold comparison it is also the truth that trainers' gold accuracy is measured against;
trainers are never told which comparisons are gold (the queue serves them like any other).
"""

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.http import Http404

from labeler.conversations import comparison_messages
from labeler.models import Candidate, Comparison, Project
from rankings.agreement import comparison_figures
from rankings.consensus import ranked_pairs
from rankings.models import Adjudication, Ranking
from rankings.refresh import enqueue_stats_refresh
from ranklab import untrusted_json
from ranklab.errors import RankLabError

Tiers = list[list[int]]

# The ruling is a list of lists of candidate ids.
_TIERS_DEPTH = 2


@dataclass
class ReviewCard:
    """A candidate as the review shows it: lettered in sample order, with the trainers' flags on it."""

    candidate: Candidate
    letter: str
    # Flag label → how many trainers set it on this candidate.
    flags: dict[str, int]
    consensus_rank: int | None
    # Tied with the card above in the ruling the form starts from.
    tied: bool = False


@dataclass
class Review:
    comparison: Comparison
    prompt: list[dict]
    # In the order the ruling form starts from (see `ruling_start`).
    cards: list[ReviewCard]
    # One row per ranking: the ranking, its tiers as candidate letters, and its flags as "letter: label".
    rows: list[dict]
    consensus: Tiers
    consensus_letters: list[list[str]]
    agreement: float | None
    adjudication: Adjudication | None
    # Why the ruling starts where it does, when it starts from no decided order.
    start_note: str


def comparison_review(*, project: Project, comparison_id: int) -> Review:
    """Everything a lead needs to rule on one comparison of `project`; 404 for any other."""
    comparison = Comparison.objects.filter(project=project, id=comparison_id).select_related("prompt_message").first()
    if comparison is None:
        raise Http404("No such comparison")
    candidates = list(comparison.candidates.order_by("sample_index").select_related("endpoint"))
    rankings = list(
        Ranking.objects.filter(comparison=comparison).select_related("trainer").order_by("submitted_at", "id")
    )
    adjudication = Adjudication.objects.filter(comparison=comparison).first()
    tiers = [ranking.tiers for ranking in rankings]
    consensus = ranked_pairs(tiers) if tiers else []
    figures = comparison_figures(tiers)
    letters = {candidate.id: chr(ord("A") + index) for index, candidate in enumerate(candidates)}
    labels = {flag["key"]: flag["label"] for flag in project.flag_taxonomy}
    consensus_rank = {candidate: index + 1 for index, tier in enumerate(consensus) for candidate in tier}
    flag_counts: dict[int, Counter] = {candidate.id: Counter() for candidate in candidates}
    rows = []
    for ranking in rankings:
        flags = []
        for candidate in candidates:
            for key in ranking.flags.get(str(candidate.id), []):
                flag_counts[candidate.id][labels.get(key, key)] += 1
                flags.append(f"{letters[candidate.id]}: {labels.get(key, key)}")
        named = named_tiers(ranking.tiers, letters)
        steps = strength_steps(named, ranking.strengths, comparative=project.comparative)
        rows.append({"ranking": ranking, "tiers": named, "flags": flags, "strengths": steps})
    start, start_note = ruling_start(
        adjudication.tiers if adjudication else None, consensus, [candidate.id for candidate in candidates]
    )
    by_id = {candidate.id: candidate for candidate in candidates}
    cards = [
        ReviewCard(
            candidate=by_id[candidate_id],
            letter=letters[candidate_id],
            flags=dict(flag_counts[candidate_id]),
            consensus_rank=consensus_rank.get(candidate_id),
            tied=position > 0,
        )
        for tier in start
        for position, candidate_id in enumerate(tier)
    ]
    return Review(
        comparison=comparison,
        prompt=comparison_messages(comparison_id=comparison.id),
        cards=cards,
        rows=rows,
        consensus=consensus,
        consensus_letters=named_tiers(consensus, letters),
        agreement=figures.exact if figures is not None else None,
        adjudication=adjudication,
        start_note=start_note,
    )


def ruling_start(ruling: Tiers | None, consensus: Tiers, candidates: list[int]) -> tuple[Tiers, str]:
    """Where the lead's ruling form starts, and a note when that is no decided order.

    The lead's own ruling if there is one, else the trainers' consensus with its ties. A
    consensus that ties every candidate decides nothing: the cards then start in candidate
    order, untied, and the note says that this order is no one's judgement.
    """
    known = set(candidates)

    def covers(tiers: Tiers) -> bool:
        return {candidate for tier in tiers for candidate in tier} == known

    if ruling and covers(ruling):
        return [list(tier) for tier in ruling], ""
    if len(consensus) > 1 and covers(consensus):
        return [list(tier) for tier in consensus], ""
    if not consensus:
        return [[candidate] for candidate in candidates], "No trainer has ranked this comparison yet."
    return (
        [[candidate] for candidate in candidates],
        "The trainers' consensus ties every candidate, so nothing is decided: the cards are in candidate order. "
        "Put them in your order before saving.",
    )


def named_tiers(tiers: Tiers, names: dict[int, str]) -> list[list[str]]:
    """Tiers of candidate ids as tiers of their names (letters), best first."""
    return [[names.get(candidate, str(candidate)) for candidate in tier] for tier in tiers]


def strength_steps(tiers: list[list[str]], strengths: list[str], *, comparative: str) -> list[str]:
    """Each pair of neighbouring tiers with how much better the upper one is: "A much better than B = C"."""
    return [
        f"{' = '.join(tiers[index])} {strength} {comparative} than {' = '.join(tiers[index + 1])}"
        for index, strength in enumerate(strengths[: len(tiers) - 1])
    ]


def ruling_from(data) -> Tiers:
    """The ruling form's tiers (JSON, as the cards left them), checked for shape; raises RankLabError."""
    try:
        tiers = untrusted_json.loads(data.get("tiers", ""), max_depth=_TIERS_DEPTH)
    except (ValueError, TypeError) as error:
        raise RankLabError("The ruling could not be read; reload the page and try again.") from error
    if not isinstance(tiers, list) or not all(
        isinstance(tier, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in tier) for tier in tiers
    ):
        raise RankLabError("The ruling must be tiers of candidate ids; reload the page and try again.")
    return tiers


def adjudication_save(
    *, comparison: Comparison, lead, tiers: Tiers, note: str = "", gold: bool = False
) -> Adjudication:
    """Record the lead's ruling on a comparison (it becomes the consensus), and whether the
    comparison is gold (the ruling is then the truth trainers are scored against)."""
    candidate_ids = set(comparison.candidates.values_list("id", flat=True))
    ranked = [candidate for tier in tiers for candidate in tier]
    if not tiers or not all(tier for tier in tiers) or len(ranked) != len(set(ranked)):
        raise RankLabError("Give every candidate exactly one rank.")
    if set(ranked) != candidate_ids:
        raise RankLabError("Rank every candidate of this comparison, and only those.")
    with transaction.atomic():
        adjudication, _ = Adjudication.objects.update_or_create(
            comparison=comparison, defaults={"lead": lead, "tiers": tiers, "note": note.strip()}
        )
        if comparison.is_gold != gold:
            comparison.is_gold = gold
            comparison.save(update_fields=["is_gold", "updated_at"])
        enqueue_stats_refresh(project_id=comparison.project_id)
    return adjudication


def adjudication_remove(*, comparison: Comparison) -> None:
    """Withdraw the lead's ruling: the trainers' consensus counts again, and the comparison is no longer gold."""
    with transaction.atomic():
        Adjudication.objects.filter(comparison=comparison).delete()
        if comparison.is_gold:
            comparison.is_gold = False
            comparison.save(update_fields=["is_gold", "updated_at"])
        enqueue_stats_refresh(project_id=comparison.project_id)
