"""Fixtures shared by every app's tests: people and projects."""

import pytest

from labeler.models import Membership
from labeler.tests.factories import MembershipFactory, ProjectFactory


@pytest.fixture(params=["in one call", "step by step"])
def lease_path(request, monkeypatch):
    """Both ways of leasing and counting on PostgreSQL: the database functions, and the Python steps SQLite runs."""
    from labeler import queue

    if request.param == "step by step":
        monkeypatch.setitem(queue.LEASE_BY_VENDOR, "postgresql", queue._lease_step_by_step)
        monkeypatch.setitem(queue.WAITING_COUNT_BY_VENDOR, "postgresql", queue._waiting_count_through_orm)
    return request.param


@pytest.fixture(autouse=True)
def broker_checked_afresh():
    """Each process remembers the broker's reachability for a few seconds: no test inherits another's."""
    from ranklab.health import broker_reachable_forget

    broker_reachable_forget()


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def lead(project):
    return MembershipFactory(project=project, role=Membership.Role.LEAD).user


@pytest.fixture
def trainer(project):
    return MembershipFactory(project=project, role=Membership.Role.TRAINER).user


@pytest.fixture
def outsider(db):
    """A lead of another project: every page of `project` must be a 404 to them."""
    return MembershipFactory(role=Membership.Role.LEAD).user


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


@pytest.fixture
def trainer_client(client, trainer):
    client.force_login(trainer)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client
