"""Fixtures shared by every app's tests: people and projects."""

import pytest

from labeler.models import Membership
from labeler.tests.factories import MembershipFactory, ProjectFactory


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
