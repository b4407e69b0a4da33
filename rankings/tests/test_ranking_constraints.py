import pytest
from django.db import IntegrityError, transaction

from labeler.tests.factories import ComparisonFactory, UserFactory
from rankings.models import Ranking

pytestmark = pytest.mark.django_db


def test_a_trainer_ranks_a_comparison_once():
    comparison = ComparisonFactory(with_candidates=True)
    trainer = UserFactory()
    Ranking.objects.create(comparison=comparison, trainer=trainer, tiers=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ranking.objects.create(comparison=comparison, trainer=trainer, tiers=[])
