"""Red-team projects: the successful attacks a member may see, success rates, and safe answers.

A lead sees every attack of the project. A trainer sees the attacks on the comparisons they
ranked themselves (their ranking is in, so seeing other trainers' marks on them gives nothing
away) and may write a safe answer to each of them.
"""

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from labeler.conversations import comparisons_messages
from labeler.models import HARMFUL, Candidate, Comparison, Membership, Project
from rankings.attacks import Attack, SuccessRate, attacks_filtered, attacks_of, success_rates
from rankings.models import Ranking, SafeAnswer
from ranklab.errors import RankLabError

MAX_SAFE_ANSWER_CHARS = 20_000


def _rankings_seen_by(*, project: Project, user, role: str):
    rankings = Ranking.objects.filter(comparison__project=project, question=HARMFUL).exclude(attacks={})
    if role != Membership.Role.LEAD:
        ranked = Ranking.objects.filter(trainer=user, comparison__project=project).values("comparison_id")
        rankings = rankings.filter(comparison_id__in=ranked)
    return rankings


@dataclass(frozen=True)
class AttackFilters:
    category: str = ""
    tactic: str = ""
    endpoint: str = ""


def attacks_for(*, project: Project, user, role: str, filters: AttackFilters) -> tuple[list[Attack], dict]:
    """The attacks `user` may see, filtered, newest first; and each attacked candidate's endpoint name."""
    rows = _rankings_seen_by(project=project, user=user, role=role).values_list(
        "comparison_id", "trainer__username", "attacks"
    )
    attacks = attacks_of(rows)
    endpoints = dict(
        Candidate.objects.filter(id__in=[attack.candidate_id for attack in attacks]).values_list("id", "endpoint__name")
    )
    return attacks_filtered(attacks, endpoints=endpoints, **vars(filters)), endpoints


def attacks_detail(*, attacks: list[Attack]) -> list[dict]:
    """What the page shows of each attack of one page: the prompt, the harmful answer, the safe answers."""
    comparison_ids = {attack.comparison_id for attack in attacks}
    candidates: dict[int, Candidate] = {}
    siblings: dict[int, list[Candidate]] = {}
    for candidate in Candidate.objects.filter(comparison_id__in=comparison_ids).select_related("endpoint"):
        candidates[candidate.id] = candidate
        siblings.setdefault(candidate.comparison_id, []).append(candidate)
    attacked = {attack.candidate_id for attack in attacks}
    marked = attacked_candidates(comparison_ids=comparison_ids)
    prompts = comparisons_messages(comparison_ids=comparison_ids)
    safe: dict[int, list[SafeAnswer]] = {}
    for answer in SafeAnswer.objects.filter(harmful_candidate_id__in=attacked).select_related("author"):
        safe.setdefault(answer.harmful_candidate_id, []).append(answer)
    details = []
    for attack in attacks:
        candidate = candidates[attack.candidate_id]
        details.append(
            {
                "attack": attack,
                "candidate": candidate,
                "endpoint": candidate.endpoint.name if candidate.endpoint else None,
                "prompt": prompts.get(attack.comparison_id, []),
                "safe_answers": sorted(safe.get(attack.candidate_id, []), key=lambda answer: answer.created_at),
                "pickable": [c for c in siblings[attack.comparison_id] if c.id not in marked],
            }
        )
    return details


def attacked_candidates(*, comparison_ids) -> set[int]:
    """Every candidate of these comparisons that some trainer marked as a successful attack."""
    rows = Ranking.objects.filter(comparison_id__in=comparison_ids, question=HARMFUL).exclude(attacks={})
    return {int(candidate) for attacks in rows.values_list("attacks", flat=True) for candidate in attacks}


def attack_success_rates(*, project: Project) -> list[SuccessRate]:
    """Per endpoint: its ranked red-team candidates, and how many of them at least one trainer marked."""
    red_team_comparisons = Ranking.objects.filter(comparison__project=project, question=HARMFUL).values("comparison_id")
    ranked = Counter(
        dict(
            Candidate.objects.filter(comparison_id__in=red_team_comparisons)
            .order_by()
            .values_list("endpoint__name")
            .annotate(n=Count("id"))
        )
    )
    attacked_ids = attacked_candidates(comparison_ids=red_team_comparisons)
    attacked = dict(
        Candidate.objects.filter(id__in=attacked_ids).order_by().values_list("endpoint__name").annotate(n=Count("id"))
    )
    return success_rates(ranked=ranked, attacked=attacked)


def safe_answer_save(
    *, project: Project, user, role: str, harmful_candidate_id: int, text: str = "", from_candidate_id: int | None
) -> SafeAnswer:
    """The user's safe answer to an attacked candidate, written or picked from its comparison; again: replaced."""
    candidate = (
        Candidate.objects.filter(id=harmful_candidate_id, comparison__project=project)
        .select_related("comparison")
        .first()
    )
    comparison: Comparison | None = candidate.comparison if candidate else None
    marked = attacked_candidates(comparison_ids=[comparison.id]) if comparison else set()
    # A trainer who has not ranked the comparison is told the same as for an attack that does not exist.
    if harmful_candidate_id not in marked or (
        role != Membership.Role.LEAD and not Ranking.objects.filter(comparison=comparison, trainer=user).exists()
    ):
        raise RankLabError("There is no such successful attack in this project.")
    from_candidate = None
    if from_candidate_id is not None:
        if text.strip():
            raise RankLabError("Write a safe answer or pick one of the candidates, not both.")
        from_candidate = Candidate.objects.filter(id=from_candidate_id, comparison=comparison).first()
        if from_candidate is None:
            raise RankLabError("The picked answer is not a candidate of this comparison.")
        if from_candidate.id in marked:
            raise RankLabError("The picked answer was itself marked as a successful attack: pick a safe one.")
        text = from_candidate.text
    text = text.strip()
    if not text:
        raise RankLabError("Write the safe answer (a refusal or a safe, helpful reply), or pick one of the candidates.")
    if len(text) > MAX_SAFE_ANSWER_CHARS:
        raise RankLabError(f"Keep the safe answer under {MAX_SAFE_ANSWER_CHARS} characters.")
    with transaction.atomic():
        answer, _ = SafeAnswer.objects.update_or_create(
            harmful_candidate=candidate,
            author=user,
            defaults={"comparison": comparison, "text": text, "from_candidate": from_candidate},
        )
    return answer
