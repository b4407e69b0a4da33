"""A list of people to invite is read as a whole: every wrong line is named, and nothing is half taken."""

import pytest

from labeler.invitation_lists import InvitationListError, Invitee, invitees_parse
from ranklab.errors import RankLabError

ROLES = {"trainer": "trainer", "lead": "lead"}


def parse(text: str, default_role: str = "trainer") -> list[Invitee]:
    return invitees_parse(text, default_role=default_role, roles=ROLES)


def test_it_reads_addresses_with_and_without_a_role():
    assert parse("Ana@Example.org\n\nben@example.org, lead\n") == [
        Invitee(line=1, email="ana@example.org", role="trainer"),
        Invitee(line=3, email="ben@example.org", role="lead"),
    ]


def test_a_line_without_a_role_gets_the_default_one():
    assert parse("ana@example.org", default_role="lead")[0].role == "lead"


def test_a_spreadsheets_header_row_and_quoted_cells_are_understood():
    text = 'email,role\r\n"ana@example.org","trainer"\r\ncid@example.org,LEAD\r\n'
    assert [(i.line, i.email, i.role) for i in parse(text)] == [
        (2, "ana@example.org", "trainer"),
        (3, "cid@example.org", "lead"),
    ]


def test_every_wrong_line_is_named_and_nothing_is_returned():
    text = "ana@example.org\nnot-an-address\nben@example.org,boss\nana@example.org\ncid@example.org,lead,extra"
    with pytest.raises(InvitationListError) as refused:
        parse(text)
    assert refused.value.errors == [
        "line 2: 'not-an-address' is not an e-mail address",
        "line 3: the role must be one of lead, trainer, not 'boss'",
        "line 4: ana@example.org is already on line 1",
        "line 5: write `email` or `email,role`",
    ]
    assert str(refused.value).startswith("Nobody was invited: line 2:")


def test_an_empty_list_is_refused():
    with pytest.raises(RankLabError, match="at least one e-mail address"):
        parse("\n  \n")
