"""The data browser hands its filters to an export: the file holds exactly the (completed) comparisons
it lists, and the manifest records the filter; a pull takes the same filter."""

import json

import pytest
from django.urls import reverse

from exports.models import Export
from exports.options import ExportOptions
from exports.services import export_create, export_write
from exports.tokens import token_create
from labeler.models import Comparison
from rankings.tests.browse_data import browse_corpus
from ranklab.errors import RankLabError

# Pulls see only committed work, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def corpus(project):
    return browse_corpus(project)


def exported_ids(export: Export) -> list[int]:
    export.refresh_from_db()
    return [json.loads(line)["comparison_id"] for line in export.file.open("rb").read().splitlines()]


def test_export_these_opens_the_export_form_with_the_filter(lead_client, project, corpus):
    browser = lead_client.get(reverse("comparison_browse", args=[project.slug]), {"q": "sea", "status": "complete"})
    link = browser.context["export_query"]
    assert link == "browser_filter=q%3Dsea%26status%3Dcomplete"
    form = lead_client.get(reverse("export_list", args=[project.slug]) + "?" + link)
    assert form.context["form"]["browser_filter"].value() == "q=sea&status=complete"
    assert 'value="q=sea&amp;status=complete"' in form.content.decode()


def test_the_export_holds_exactly_the_listed_comparisons_and_records_the_filter(
    lead_client, project, lead, corpus, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    everything = export_write(
        export_id=export_create(project=project, user=lead, format="native", options=ExportOptions()).id
    )
    assert sorted(exported_ids(everything)) == [corpus.refund.id, corpus.poem.id]

    response = lead_client.post(
        reverse("export_list", args=[project.slug]),
        {
            "format": "native",
            "expansion": "consensus",
            "min_rankings": 0,
            "exclude_flag_mode": "any",
            "browser_filter": "flag=untruthful",
        },
    )
    assert response.status_code == 302
    export = export_write(export_id=Export.objects.latest("id").id)
    export.refresh_from_db()
    assert exported_ids(export) == [corpus.poem.id]
    assert export.manifest["options"]["filters"]["browser_filter"] == "flag=untruthful"
    assert export.manifest["comparisons"] == 1


def test_only_completed_comparisons_of_the_filter_are_exported(project, lead, corpus, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Comparison.objects.filter(id=corpus.poem.id).update(status=Comparison.Status.READY)
    export = export_create(project=project, user=lead, format="native", options=ExportOptions(browser_filter="q=sea"))
    assert exported_ids(export_write(export_id=export.id)) == []


def test_a_filter_the_browser_would_refuse_is_refused_before_anything_is_queued(lead_client, project, lead, corpus):
    with pytest.raises(RankLabError, match="status"):
        export_create(project=project, user=lead, format="trl", options=ExportOptions(browser_filter="status=lost"))
    response = lead_client.post(
        reverse("export_list", args=[project.slug]),
        {
            "format": "trl",
            "expansion": "consensus",
            "min_rankings": 0,
            "exclude_flag_mode": "any",
            "browser_filter": "trainer=0",
        },
    )
    assert response.status_code == 200
    assert "The browser filter is not valid: trainer:" in response.content.decode()
    assert not Export.objects.exists()


def test_a_pull_takes_the_browser_filter(client, project, lead, corpus):
    secret = token_create(project=project, name="pipeline", user=lead)[1]

    def pulled(**params):
        response = client.get(
            reverse("api_comparisons", args=[project.slug]), params, headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 200, response.content
        return [json.loads(line)["comparison_id"] for line in b"".join(response.streaming_content).splitlines()]

    assert sorted(pulled()) == [corpus.refund.id, corpus.poem.id]
    assert pulled(browser_filter="q=kettle") == [corpus.refund.id]
    assert pulled(browser_filter="agreement=low") == [corpus.poem.id]
