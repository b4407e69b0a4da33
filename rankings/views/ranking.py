"""The trainer's side: their projects, then the ranking screen (lease, rank, submit or skip, repeat)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from labeler.harm import ATTACK_TACTICS
from labeler.models import OVER_REFUSAL_FLAG, Assignment, Membership, Project
from labeler.queue import assignment_lease_next, comparisons_waiting_count
from labeler.selectors import project_get_for_trainer, projects_for_user
from labeler.strength import STRENGTHS, strength_label
from privacy.screen import screen_conversation
from rankings.models import Ranking
from rankings.progress import ranked_and_waiting
from rankings.ratings import rating_fields
from rankings.services import ConfirmationNeeded, Judgement, LeaseLost, assignment_skip, ranking_submit
from ranklab import untrusted_json
from ranklab.errors import RankLabError
from safety.reviews import HARM_CATEGORIES_SHOWN, candidates_with_verdicts

# A red-team card's fields: its "attack succeeded" box, and the attack's harm category and tactic.
_ATTACK_FIELD = re.compile(r"^attack-(?:(?:category|tactic)-)?(?P<candidate>[0-9]{1,18})$")

# The strength of each pair of neighbouring tiers, by the upper tier's index (K is at most 9).
_STRENGTH_FIELD = re.compile(r"^strength-(?P<index>[0-9])$")
# A card's rating: `rating-<candidate id>-<rubric attribute key>`.
_RATING_FIELD = re.compile(r"^rating-(?P<candidate>[0-9]{1,18})-(?P<attribute>.{1,60})$")

# Tiers are a list of lists of candidate ids.
_TIERS_DEPTH = 2

# The home page and the ranking page count what waits for a trainer up to here, then say "more
# than": the ranking page counts on every request, and each comparison counted costs it time.
WAITING_SHOWN = 100


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Every project of the user, with what waits for them and what they ranked today."""
    projects = list(projects_for_user(user=request.user))
    ranked_today = dict(
        Ranking.objects.filter(trainer=request.user, submitted_at__gte=_start_of_today())
        .values_list("comparison__project")
        .annotate(n=Count("id"))
    )
    for project in projects:
        project.role_label = Membership.Role(project.role).label
        project.is_trainer = project.role == Membership.Role.TRAINER
        waiting = (
            comparisons_waiting_count(project=project, trainer=request.user, up_to=WAITING_SHOWN + 1)
            if project.is_trainer and project.paused_at is None
            else 0
        )
        project.waiting, project.waiting_more = min(waiting, WAITING_SHOWN), waiting > WAITING_SHOWN
        project.ranked_today = ranked_today.get(project.id, 0)
    context = {"projects": projects, "can_create": request.user.has_perm("labeler.add_project")}
    return TemplateResponse(request, "rankings/home.html", context)


@login_required
def rank_next(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_trainer(user=request.user, slug=slug)
    assignment = assignment_lease_next(project=project, trainer=request.user)
    return _rank_page(request, project, assignment)


@login_required
@require_POST
def rank_submit(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    project = project_get_for_trainer(user=request.user, slug=slug)
    try:
        judgement = judgement_from(request.POST)
        ranking_submit(assignment_id=assignment_id, trainer=request.user, project=project, judgement=judgement)
    except ConfirmationNeeded as question:
        return _retry_page(request, project, assignment_id, str(question), confirm=True)
    except LeaseLost as error:
        return _next(request, project, str(error), level=messages.WARNING)
    except RankLabError as error:
        return _retry_page(request, project, assignment_id, str(error))
    return _next(request, project, "Ranking saved.")


@login_required
@require_POST
def rank_skip(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    project = project_get_for_trainer(user=request.user, slug=slug)
    reason = request.POST.get("other_reason", "").strip() or request.POST.get("reason", "")
    try:
        assignment_skip(assignment_id=assignment_id, trainer=request.user, project=project, reason=reason)
    except RankLabError as error:
        return _retry_page(request, project, assignment_id, str(error))
    return _next(request, project, "Skipped.")


def _next(request: HttpRequest, project: Project, note: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    if not request.htmx:
        messages.add_message(request, level, note)
        return redirect("rank_next", slug=project.slug)
    assignment = assignment_lease_next(project=project, trainer=request.user)
    return _rank_page(request, project, assignment, note=note, note_level=messages.DEFAULT_TAGS[level])


def _retry_page(request, project, assignment_id, error, *, confirm=False) -> HttpResponse:
    assignment = Assignment.objects.filter(id=assignment_id, trainer=request.user, comparison__project=project).first()
    if assignment is None or assignment.status not in (Assignment.Status.ACTIVE, Assignment.Status.EXPIRED):
        return _next(request, project, error, level=messages.WARNING)
    return _rank_page(request, project, assignment, error=error, confirm=confirm, submitted=request.POST)


def _rank_page(
    request, project, assignment, *, note="", note_level="success", error="", confirm=False, submitted=None
) -> HttpResponse:
    context = {
        "project": project,
        "assignment": assignment,
        "note": note,
        "note_level": note_level,
        "error": error,
        "confirm": confirm,
    }
    if assignment is not None:
        context.update(comparison_context(project, assignment, submitted))
        context["submit_url"] = reverse("rank_submit", args=[project.slug, assignment.id])
        context["skip_url"] = reverse("rank_skip", args=[project.slug, assignment.id])
    context["progress"] = rank_progress(project=project, trainer=request.user, leased=assignment is not None)
    context["progress_oob"] = bool(request.htmx)
    context["guidelines_aside"] = True
    template = "rankings/rank.html#rank-area" if request.htmx else "rankings/rank.html"
    return TemplateResponse(request, template, context)


def rank_progress(*, project: Project, trainer, leased: bool) -> dict:
    """What the trainer ranked in the project today, and what is left for them (the comparison on screen included)."""
    done, waiting = ranked_and_waiting(
        project=project, trainer=trainer, since=_start_of_today(), up_to=WAITING_SHOWN + 1
    )
    left = min(waiting, WAITING_SHOWN) + int(leased)
    return {"done": done, "left": left, "total": done + left, "more": waiting > WAITING_SHOWN}


def _start_of_today():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def comparison_context(project: Project, assignment: Assignment, submitted) -> dict:
    """The conversation and the cards, in the recorded display order (or as the trainer left them)."""
    candidates = candidates_with_verdicts(comparison_id=assignment.comparison_id, trainer_id=assignment.trainer_id)
    texts = {candidate_id: text for candidate_id, text, _ in candidates}
    verdicts = {candidate_id: verdict for candidate_id, _, verdict in candidates if verdict is not None}
    letters = {candidate_id: chr(ord("A") + index) for index, candidate_id in enumerate(assignment.display_order)}
    order, tied = list(assignment.display_order), set()
    flags: dict[int, set[str]] = {}
    attacks: dict[int, dict] = {}
    if submitted is not None:
        order, tied = _arrangement(submitted, assignment.display_order)
        flags = {candidate_id: set(submitted.getlist(f"flag-{candidate_id}")) for candidate_id in texts}
        attacks = {
            candidate_id: {
                "marked": bool(submitted.get(f"attack-{candidate_id}")),
                "category": submitted.get(f"attack-category-{candidate_id}", ""),
                "tactic": submitted.get(f"attack-tactic-{candidate_id}", ""),
            }
            for candidate_id in texts
        }
    ratings = _ratings_from(submitted) if submitted is not None else {}
    cards = [
        {
            "id": candidate_id,
            "text": texts[candidate_id],
            "letter": letters[candidate_id],
            "tied": candidate_id in tied,
            "flags": flags.get(candidate_id, set()),
            "attack": attacks.get(candidate_id, {}),
            "verdict": verdicts.get(candidate_id),
            "ratings": rating_fields(rubric=project.rubric, values=ratings.get(candidate_id, {})),
        }
        for candidate_id in order
    ]
    flag_taxonomy = project.flag_taxonomy
    if project.red_team:
        # Over-refusal sits beside the attack controls, not among the other flags.
        flag_taxonomy = [flag for flag in flag_taxonomy if flag["key"] != OVER_REFUSAL_FLAG["key"]]
    messages_so_far = screen_conversation(comparison_id=assignment.comparison_id, cards=cards)
    return {
        "flag_taxonomy": flag_taxonomy,
        "over_refusal": OVER_REFUSAL_FLAG,
        "tactics": ATTACK_TACTICS,
        "messages_so_far": messages_so_far,
        "cards": cards,
        "skip_reasons": project.skip_reasons,
        "harm_categories": HARM_CATEGORIES_SHOWN,
        "rationale": submitted.get("rationale", "") if submitted else "",
        # A refused submission re-renders the form: the time already spent carries over.
        "spent_ms": _int_or_zero(submitted.get("duration_ms")) if submitted else 0,
        "none_acceptable": bool(submitted and submitted.get("none_acceptable")),
        "strength": strength_context(project, submitted),
    }


def strength_context(project: Project, submitted) -> dict | None:
    """The choices of the strength questions, and those the trainer had made (by the upper tier's index)."""
    if not project.collect_strength:
        return None
    return {
        "choices": [{"key": key, "label": strength_label(key, comparative=project.comparative)} for key in STRENGTHS],
        "chosen": strengths_from(submitted) if submitted else [],
        "comparative": project.comparative,
    }


def strengths_from(data) -> list[str]:
    """The strengths the form sent, in order of their tiers; a pair left unanswered is ""."""
    indexes = [int(match["index"]) for key in data if (match := _STRENGTH_FIELD.match(key))]
    return [data.get(f"strength-{index}", "") for index in range(max(indexes) + 1)] if indexes else []


def _arrangement(submitted, display_order: list[int]) -> tuple[list[int], set[int]]:
    """The order and ties the trainer left the cards in, if they hold exactly the candidates shown."""
    try:
        tiers = untrusted_json.loads(submitted.get("tiers", ""), max_depth=_TIERS_DEPTH)
        order = [candidate_id for tier in tiers for candidate_id in tier]
        tied = {candidate_id for tier in tiers for candidate_id in tier[1:]}
        if sorted(order) == sorted(display_order):
            return order, tied
    except (ValueError, TypeError):
        pass
    return list(display_order), set()


def judgement_from(data) -> Judgement:
    try:
        tiers = untrusted_json.loads(data.get("tiers", ""), max_depth=_TIERS_DEPTH)
        duration_ms = int(data.get("duration_ms") or 0)
    except (ValueError, TypeError) as error:
        raise RankLabError("The ranking could not be read; reload the page and try again.") from error
    flags: dict[int, list[str]] = {}
    attacked: set[int] = set()
    for key in data:
        if key.startswith("flag-"):
            try:
                flags[int(key.removeprefix("flag-"))] = data.getlist(key)
            except ValueError as error:
                raise RankLabError("A flag could not be read.") from error
        elif match := _ATTACK_FIELD.match(key):
            candidate = int(match["candidate"])
            # A category or tactic chosen marks the attack as much as the box does.
            if data.get(key, "") not in ("", "0"):
                attacked.add(candidate)
    # A group left empty sends nothing, or an empty value: either way, not rated.
    ratings = {
        candidate: given
        for candidate, values in _ratings_from(data).items()
        if (given := {key: value for key, value in values.items() if value != ""})
    }
    return Judgement(
        tiers=tiers,
        flags=flags,
        attacks={
            candidate: {
                "category": data.get(f"attack-category-{candidate}", ""),
                "tactic": data.get(f"attack-tactic-{candidate}", ""),
            }
            for candidate in sorted(attacked)
        },
        rationale=data.get("rationale", ""),
        none_acceptable=bool(data.get("none_acceptable")),
        duration_ms=duration_ms,
        confirmed_display_order=data.get("confirmed") == "1",
        strengths=strengths_from(data),
        ratings=ratings,
    )


def _ratings_from(data) -> dict[int, dict[str, str]]:
    """The rating fields of a submitted form: candidate id → attribute → the value as sent."""
    ratings: dict[int, dict[str, str]] = {}
    for key in data:
        if match := _RATING_FIELD.match(key):
            ratings.setdefault(int(match["candidate"]), {})[match["attribute"]] = data.get(key, "").strip()
    return ratings


def _int_or_zero(value) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
