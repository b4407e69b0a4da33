"""Lists of people to invite: `email[,role]` per line, pasted or uploaded as CSV.

Plain data in, plain data out; the whole list is checked before anything is written, and
every error names its line.
"""

import csv
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ranklab.errors import RankLabError

MAX_PEOPLE = 500
# How many problems one refusal lists: enough to fix a pasted list in one go.
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class Invitee:
    line: int
    email: str
    role: str


class InvitationListError(RankLabError):
    """The list is refused as a whole; `errors` names each line that is wrong."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        super().__init__("Nobody was invited: " + "; ".join(shown) + (f"; and {more} more." if more else "."))


def invitees_parse(text: str, *, default_role: str, roles: dict[str, str]) -> list[Invitee]:
    """Each non-empty line as `email` or `email,role`; `roles` maps what a line may say to a role."""
    invitees: list[Invitee] = []
    errors: list[str] = []
    first_line: dict[str, int] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in {"email", "e-mail", "email address"}:
            continue  # a spreadsheet's header row
        if len(cells) > 2:
            errors.append(f"line {number}: write `email` or `email,role`")
            continue
        email = cells[0].lower()
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"line {number}: {cells[0][:80]!r} is not an e-mail address")
            continue
        role_text = cells[1].lower() if len(cells) == 2 and cells[1] else default_role
        role = roles.get(role_text)
        if role is None:
            errors.append(f"line {number}: the role must be one of {', '.join(sorted(set(roles)))}, not {cells[1]!r}")
            continue
        if email in first_line:
            errors.append(f"line {number}: {email} is already on line {first_line[email]}")
            continue
        first_line[email] = number
        invitees.append(Invitee(line=number, email=email, role=role))
    if errors:
        raise InvitationListError(errors)
    if not invitees:
        raise RankLabError("Write at least one e-mail address.")
    if len(invitees) > MAX_PEOPLE:
        raise RankLabError(f"Invite at most {MAX_PEOPLE} people at a time; this list has {len(invitees)}.")
    return invitees
