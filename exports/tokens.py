"""Pipeline API tokens: per project, read-only (but for the audits a lead opens to them), stored as a hash,
shown once, revocable."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from exports.models import ApiToken
from labeler.models import Project
from ranklab.errors import RankLabError

PREFIX = "rlk_"
# Writing last_used_at on every request would make each pull a write; a minute is precise enough.
_LAST_USED_RESOLUTION_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, project: Project, name: str, user) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise RankLabError("Name the token after the pipeline that will use it.")
    prefix = secrets.token_hex(4)
    secret = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        project=project, name=name[:100], prefix=prefix, token_hash=_hash(secret), created_by=user
    )
    return token, secret


@transaction.atomic
def token_revoke(*, project: Project, token_id: int) -> None:
    updated = ApiToken.objects.filter(project=project, id=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated and not ApiToken.objects.filter(project=project, id=token_id).exists():
        raise RankLabError("No such token.")


def token_authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, or None."""
    if not secret.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("project").filter(token_hash=_hash(secret), revoked_at__isnull=True).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > _LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return token
