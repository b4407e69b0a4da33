"""The data browser's pages: the list in a number of queries that does not grow with the page, and
one comparison read-only with its conversation, candidates as trainers see them, and every ranking."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from labeler.models import Candidate
from labeler.tests.factories import ComparisonFactory
from rankings.tests.browse_data import browse_corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(project):
    return browse_corpus(project)


def queries_of(client, url, query=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(queries)


def test_the_list_takes_as_many_queries_for_a_full_page_as_for_four_rows(lead_client, project, corpus):
    url = reverse("comparison_browse", args=[project.slug])
    query = {"q": "sea", "flag": "untruthful", "agreement": "low", "status": "complete"}
    few, few_filtered = queries_of(lead_client, url), queries_of(lead_client, url, query)
    for _ in range(60):
        ComparisonFactory(project=project, with_candidates=True)
    assert queries_of(lead_client, url) == few
    assert queries_of(lead_client, url, {"page": 2}) == few
    assert queries_of(lead_client, url, query) == few_filtered
    # The user, the project, the form's endpoints and trainers (the session is cached); then the count,
    # the page's ids and their rows. Filtered: the newest matches' ids under a time limit (its savepoint,
    # the limit, the ids, the release; no count) and the page's rows.
    assert (few, few_filtered) == (7, 9)


def test_the_list_shows_the_matching_comparisons_and_hands_them_to_an_export(lead_client, project, corpus):
    response = lead_client.get(reverse("comparison_browse", args=[project.slug]), {"flag": "untruthful"})
    page = response.content.decode()
    assert f'data-comparison="{corpus.poem.id}"' in page
    assert f'data-comparison="{corpus.refund.id}"' not in page
    assert "Write a short poem about the sea." in page
    assert "0.0 %" in page or "0 %" in page
    assert f"/p/{project.slug}/exports/?browser_filter=flag%3Duntruthful" in page


def test_an_invalid_filter_is_named_and_lists_nothing(lead_client, project, corpus):
    response = lead_client.get(reverse("comparison_browse", args=[project.slug]), {"created_from": "soon"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert "page" not in response.context


def test_a_comparison_shows_its_conversation_candidates_and_every_ranking(lead_client, project, corpus):
    Candidate.objects.filter(comparison=corpus.poem, sample_index=0).update(text="**Waves** <script>alert(1)</script>")
    response = lead_client.get(reverse("comparison_browse_detail", args=[project.slug, corpus.poem.id]))
    page = response.content.decode()
    assert "Write a short poem about the sea." in page
    assert "<strong>Waves</strong>" in page  # markdown, through the one sanitising renderer
    assert "<script>alert(1)</script>" not in page
    assert "The sea is made of cheese." in page
    trainers = [trainer.username for trainer in corpus.trainers[:2]]
    assert all(f'data-trainer="{username}"' in page for username in trainers)
    assert "A &gt; B" in page and "B &gt; A" in page  # each ranking's tiers, best first
    assert '<span class="badge bad">B: Untruthful / hallucination</span>' in page


def test_ties_show_as_one_tier(lead_client, project, corpus):
    response = lead_client.get(reverse("comparison_browse_detail", args=[project.slug, corpus.photosynthesis.id]))
    assert "A = B" in response.content.decode()
    assert (
        "The first one answers."
        in lead_client.get(reverse("comparison_browse_detail", args=[project.slug, corpus.refund.id])).content.decode()
    )


def test_trainers_and_other_projects_leads_get_404(client, trainer, outsider, project, corpus):
    for user in (trainer, outsider):
        client.force_login(user)
        assert client.get(reverse("comparison_browse", args=[project.slug])).status_code == 404
        assert client.get(reverse("comparison_browse_detail", args=[project.slug, corpus.poem.id])).status_code == 404
