"""Services for projects and their members."""

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify

from labeler.models import Assignment, Comparison, Membership, Project
from ranklab.errors import RankLabError

_FLAG_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def flag_taxonomy_parse(text: str) -> list[dict]:
    """`key: Label` per line → the taxonomy; errors name the line."""
    return _taxonomy_parse(text, what="Flag")


def harm_categories_parse(text: str) -> list[dict]:
    """`key: Label` per line → the harm categories of a red-team project; errors name the line."""
    return _taxonomy_parse(text, what="Harm category")


def _taxonomy_parse(text: str, *, what: str) -> list[dict]:
    entries, seen = [], set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, label = line.partition(":")
        key, label = key.strip(), label.strip()
        if not sep or not label:
            raise RankLabError(f"{what} line {number}: write it as `key: Label`.")
        if not _FLAG_KEY.match(key):
            raise RankLabError(
                f"{what} line {number}: the key {key!r} must be lowercase letters, digits and underscores."
            )
        if key in seen:
            raise RankLabError(f"{what} line {number}: the key {key!r} is used twice.")
        seen.add(key)
        entries.append({"key": key, "label": label[:100]})
    return entries


def flag_taxonomy_format(flags: list[dict]) -> str:
    return "\n".join(f"{flag['key']}: {flag['label']}" for flag in flags)


harm_categories_format = flag_taxonomy_format


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "project"
    slug, n = base, 1
    while Project.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def project_create(*, user, name: str, **settings) -> Project:
    """Create a project with `user` as its first lead."""
    project = Project.objects.create(name=name, slug=_unique_slug(name), created_by=user, **settings)
    Membership.objects.create(user=user, project=project, role=Membership.Role.LEAD)
    return project


@transaction.atomic
def membership_set(*, project: Project, username: str, role: str) -> Membership:
    """Add a user to the project, or change their role."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise RankLabError(f"There is no user called {username!r}.")
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is None:
        return Membership.objects.create(project=project, user=user, role=role)
    if membership.role == Membership.Role.LEAD and role != Membership.Role.LEAD:
        _check_another_lead_remains(project=project, leaving=membership)
    membership.role = role
    if role == Membership.Role.LEAD:
        # Only trainers are paused: a trainer made lead is a lead in full.
        membership.paused_at = None
    membership.save(update_fields=["role", "paused_at"])
    return membership


@transaction.atomic
def membership_remove(*, project: Project, membership_id: int) -> None:
    membership = Membership.objects.select_for_update().filter(project=project, id=membership_id).first()
    if membership is None:
        raise RankLabError("That person is not a member of this project.")
    if membership.role == Membership.Role.LEAD:
        _check_another_lead_remains(project=project, leaving=membership)
    membership.delete()


@transaction.atomic
def membership_pause(*, project: Project, membership_id: int) -> Membership:
    """Stop a trainer taking or submitting comparisons; the comparisons they hold go back to the queue."""
    membership = _trainer_locked(project=project, membership_id=membership_id)
    if membership.paused_at is not None:
        return membership
    now = timezone.now()
    membership.paused_at = now
    membership.save(update_fields=["paused_at"])
    # A chat turn is the trainer's own conversation, no one else's to take: only queue leases go back.
    Assignment.objects.filter(
        comparison__project=project,
        comparison__project__kind=Project.Kind.COMPARISON,
        trainer_id=membership.user_id,
        status=Assignment.Status.ACTIVE,
    ).update(status=Assignment.Status.EXPIRED, finished_at=now)
    return membership


@transaction.atomic
def membership_resume(*, project: Project, membership_id: int) -> Membership:
    """Let a paused trainer rank again."""
    membership = _trainer_locked(project=project, membership_id=membership_id)
    if membership.paused_at is not None:
        membership.paused_at = None
        membership.save(update_fields=["paused_at"])
    return membership


def _trainer_locked(*, project: Project, membership_id: int) -> Membership:
    # The lease locks the same row: a pause waits for a lease in flight, and releases it too.
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(project=project, id=membership_id)
        .first()
    )
    if membership is None:
        raise RankLabError("That person is not a member of this project.")
    if membership.role != Membership.Role.TRAINER:
        raise RankLabError("Only trainers can be paused: a lead does not rank.")
    return membership


def _check_another_lead_remains(*, project: Project, leaving: Membership) -> None:
    others = (
        Membership.objects.select_for_update().filter(project=project, role=Membership.Role.LEAD).exclude(id=leaving.id)
    )
    if not others.exists():
        raise RankLabError("A project needs at least one lead.")


def project_status_counts(*, project: Project) -> dict[str, int]:
    """Comparisons of the project by status, every status present (zeros included)."""
    counts = dict.fromkeys(Comparison.Status.values, 0)
    rows = project.comparisons.order_by().values_list("status").annotate(n=Count("id"))
    counts.update(dict(rows))
    counts["total"] = sum(counts.values())
    return counts
