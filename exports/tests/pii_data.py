"""The corpus as a project: imported, scanned and ranked through the real services."""

import io
import json

from django.conf import settings

from labeler.importing import conversations_import
from labeler.models import Candidate, Message
from labeler.queue import assignment_lease_next
from privacy.entities import NER_ENTITIES
from privacy.models import PiiSpan
from privacy.review import pii_span_mark
from privacy.scanning import pii_scan_project
from privacy.tests.corpus import texts
from rankings.services import Judgement, ranking_submit
from rankings.tests.factories import trainers_of


def corpus_records() -> list[dict]:
    """One conversation per corpus text; its first candidate repeats the text, so values recur within it."""
    return [
        {
            "id": f"{text.conversation}-{number}",
            "messages": [{"role": "user", "content": text.text}],
            "candidates": [f"Noted: {text.text}", "Sure, I can help with that.", "I can't help with that."],
        }
        for number, text in enumerate(texts())
    ]


def corpus_project(project, *, ranked: bool = True) -> None:
    """Import the corpus into `project` (K = 3), scan it, have a trainer review the names and places the
    model missed or only suggested, and one trainer rank every comparison."""
    project.k, project.overlap = 3, 1
    project.save(update_fields=["k", "overlap"])
    source = "\n".join(json.dumps(record) for record in corpus_records()).encode()
    conversations_import(project=project, source=io.BytesIO(source))
    assert pii_scan_project(project_id=project.id, budget_seconds=300)
    (trainer,) = trainers_of(project, 1)
    names_and_places_reviewed(project, trainer)
    if not ranked:
        return
    while (assignment := assignment_lease_next(project=project, trainer=trainer)) is not None:
        ids = sorted(assignment.display_order)
        ranking_submit(
            trainer=trainer,
            project=project,
            assignment_id=assignment.id,
            judgement=Judgement(tiers=[[ids[0]], [ids[1]], [ids[2]]], duration_ms=1000, confirmed_display_order=True),
        )


def names_and_places_reviewed(project, trainer) -> None:
    """What trainers do on the screen for names and places, which act only once confirmed where the model
    is unsure (other languages, a place modifying a noun) and which it misses now and then: each planted
    one is confirmed where the model suggested it and marked where it found nothing. Patterns get no help."""
    planted = {text.text: [plant for plant in text.planted if plant.entity_type in NER_ENTITIES] for text in texts()}
    texts_of_project = [
        ("message", message_id, content)
        for message_id, content in Message.objects.filter(conversation__project=project).values_list("id", "content")
    ] + [
        ("candidate", candidate_id, text)
        for candidate_id, text in Candidate.objects.filter(comparison__project=project).values_list("id", "text")
    ]
    for kind, text_id, text in texts_of_project:
        for corpus_text, plants in planted.items():
            offset = text.find(corpus_text) if plants else -1
            for plant in plants if offset != -1 else ():
                start, end = offset + plant.start, offset + plant.end
                spans = PiiSpan.objects.filter(
                    **{f"{kind}_id": text_id}, entity_type__in=NER_ENTITIES, start__lt=end, end__gt=start
                )
                if spans.exists():
                    threshold = settings.RANKLAB_PII_NER_REDACT_THRESHOLD
                    spans.filter(score__lt=threshold).update(status=PiiSpan.Status.CONFIRMED)
                else:
                    target = f"{kind}:{text_id}"
                    pii_span_mark(
                        project=project, user=trainer, target=target, value=plant.value, entity_type=plant.entity_type
                    )
