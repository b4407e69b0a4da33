import io
import json

import pytest

from labeler.importing import conversations_import
from labeler.models import Message
from privacy.models import PiiScan, PiiSpan

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_import_is_scanned_in_the_background_once_it_commits(celery_worker, project):
    record = {
        "id": "refund-1",
        "messages": [{"role": "user", "content": "Refund to ann@example.com please."}],
        "candidates": ["Done, ann.", "Which card, 4111 1111 1111 1111?"],
    }
    conversations_import(project=project, source=io.BytesIO(json.dumps(record).encode()))

    celery_worker.wait_for(lambda: PiiScan.objects.filter(project=project).count() == 3, timeout=120)
    assert sorted(PiiSpan.objects.filter(project=project).values_list("entity_type", flat=True)) == [
        "CREDIT_CARD",
        "EMAIL_ADDRESS",
    ]
    assert PiiSpan.objects.get(entity_type="EMAIL_ADDRESS").message == Message.objects.get(
        conversation__project=project
    )
