"""The data browser's filters, one by one and together, on PostgreSQL; and the SQLite text fallback."""

from datetime import timedelta

import pytest
from django.db.models.expressions import RawSQL
from django.utils import timezone

from labeler.models import Comparison
from rankings import browse
from rankings.browse import browse_filters_parse, browse_query, comparisons_browse, text_search
from rankings.comparison_agreement import comparison_agreement_store
from rankings.models import ComparisonAgreement
from rankings.stats import project_stats_refresh
from rankings.tests.browse_data import browse_corpus
from rankings.tests.stats_data import comparison_with, rank
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(project):
    return browse_corpus(project)


def listed(project, query: str) -> set[int]:
    filters = browse_filters_parse(project=project, query=query)
    return set(comparisons_browse(project=project, filters=filters).values_list("id", flat=True))


def test_no_filter_lists_every_comparison_of_the_project_newest_first(project, corpus):
    other = browse_corpus(type(project).objects.create(name="Other", slug="other"))
    ids = list(comparisons_browse(project=project, filters={}).values_list("id", flat=True))
    assert ids == [corpus.translation.id, corpus.poem.id, corpus.refund.id, corpus.photosynthesis.id]
    assert other.refund.id not in ids


def test_text_search_reads_the_conversation_and_the_candidates_as_words(project, corpus):
    assert listed(project, "q=kettle") == {corpus.refund.id}  # the prompt
    assert listed(project, "q=refunds") == {corpus.refund.id}  # a candidate, stemmed
    assert listed(project, "q=sea") == {corpus.poem.id}
    # Each message and candidate is searched on its own: a word left out is left out of that text.
    assert listed(project, 'q="the sea" -cheese') == {corpus.poem.id}
    assert listed(project, "q=sea -poem -cheese") == set()
    assert listed(project, "q=plants or kettle") == {corpus.photosynthesis.id, corpus.refund.id}
    assert listed(project, "q=efun") == set()  # not a word


def test_the_sqlite_fallback_matches_substrings_of_messages_and_candidates(project, corpus):
    def found(text):
        return set(
            Comparison.objects.filter(project=project)
            .filter(text_search(text, vendor="sqlite"))
            .values_list("id", flat=True)
        )

    assert found("efun") == {corpus.refund.id}
    assert found("KETTLE") == {corpus.refund.id}
    assert found("bonjour") == {corpus.translation.id}
    assert found("the sea") == {corpus.poem.id}
    assert found("nowhere to be found") == set()


def test_status_endpoint_flag_and_trainer(project, corpus):
    assert listed(project, "status=complete") == {corpus.refund.id, corpus.poem.id}
    assert listed(project, "status=pending") == {corpus.translation.id}
    assert listed(project, f"endpoint={corpus.endpoints['alpha'].id}") == {corpus.refund.id, corpus.photosynthesis.id}
    assert listed(project, f"endpoint={corpus.endpoints['beta'].id}") == {corpus.poem.id, corpus.photosynthesis.id}
    assert listed(project, "flag=untruthful") == {corpus.poem.id}
    assert listed(project, "flag=hateful") == set()
    assert listed(project, f"trainer={corpus.trainers[2].id}") == {corpus.photosynthesis.id}
    assert listed(project, f"trainer={corpus.trainers[0].id}") == {corpus.refund.id, corpus.poem.id}


def test_agreement_bands_read_the_figures_the_statistics_stored(project, corpus):
    assert ComparisonAgreement.objects.get(comparison=corpus.refund).exact == 1.0
    assert ComparisonAgreement.objects.get(comparison=corpus.poem).exact == 0.0
    assert listed(project, "agreement=high") == {corpus.refund.id}
    assert listed(project, "agreement=low") == {corpus.poem.id}
    assert listed(project, "agreement=medium") == set()
    assert listed(project, "agreement=unmeasured") == {corpus.photosynthesis.id, corpus.translation.id}


def test_the_date_range_takes_whole_days_both_ends_included(project, corpus):
    today = timezone.now().date()
    month_ago = today - timedelta(days=30)
    assert listed(project, f"created_to={month_ago}") == {corpus.photosynthesis.id}
    assert listed(project, f"created_from={month_ago}&created_to={month_ago}") == {corpus.photosynthesis.id}
    assert corpus.photosynthesis.id not in listed(project, f"created_from={today - timedelta(days=29)}")
    assert len(listed(project, f"created_from={today}&created_to={today}")) == 3


def test_filters_combine(project, corpus):
    alpha = corpus.endpoints["alpha"].id
    assert listed(project, f"q=money&status=complete&endpoint={alpha}&agreement=high") == {corpus.refund.id}
    assert listed(project, f"q=money&status=ready&endpoint={alpha}") == set()
    assert listed(project, f"flag=untruthful&trainer={corpus.trainers[1].id}&agreement=low") == {corpus.poem.id}


def test_a_filter_the_project_does_not_offer_is_refused_by_name(project, corpus):
    with pytest.raises(RankLabError, match="status"):
        browse_filters_parse(project=project, query="status=lost")
    with pytest.raises(RankLabError, match="endpoint"):
        browse_filters_parse(project=project, query="endpoint=999999")
    with pytest.raises(RankLabError, match="created_from"):
        browse_filters_parse(project=project, query="created_from=yesterday")
    with pytest.raises(RankLabError, match="first day of the range comes after its last"):
        browse_filters_parse(project=project, query="created_from=2026-02-02&created_to=2026-02-01")
    with pytest.raises(RankLabError, match="Unknown browser filter colour"):
        browse_filters_parse(project=project, query="colour=blue")


def test_the_query_string_round_trips(project, corpus):
    query = f"q=sea+poem&flag=untruthful&created_from=2026-01-05&trainer={corpus.trainers[0].id}"
    filters = browse_filters_parse(project=project, query=query)
    assert browse_filters_parse(project=project, query=browse_query(filters)) == filters
    assert browse_query(filters).startswith("q=sea+poem&flag=untruthful&trainer=")


def test_storing_the_figures_writes_only_what_changed(project, corpus):
    figures = dict(ComparisonAgreement.objects.filter(project=project).values_list("comparison_id", "exact"))
    assert comparison_agreement_store(project=project, figures=figures) == 0
    figures[corpus.poem.id] = 0.5
    del figures[corpus.refund.id]
    assert comparison_agreement_store(project=project, figures=figures) == 2
    assert dict(ComparisonAgreement.objects.filter(project=project).values_list("comparison_id", "exact")) == figures
    assert ComparisonAgreement.objects.get(comparison=corpus.poem).band == "medium"
    assert listed(project, "agreement=medium") == {corpus.poem.id}


def test_stored_figures_read_back_to_the_last_bit_and_none_stays_none(project, corpus):
    figures = {corpus.refund.id: 1 / 3, corpus.poem.id: None, corpus.translation.id: 1e-05}
    comparison_agreement_store(project=project, figures=figures)
    rows = ComparisonAgreement.objects.filter(project=project).values_list("comparison_id", "exact", "band")
    assert {comparison_id: (exact, band) for comparison_id, exact, band in rows} == {
        corpus.refund.id: (1 / 3, "low"),
        corpus.poem.id: (None, ""),
        corpus.translation.id: (1e-05, "low"),
    }


def test_deleting_a_project_or_a_comparison_deletes_its_figures(project, corpus):
    assert set(ComparisonAgreement.objects.values_list("project_id", flat=True)) == {project.id}
    corpus.poem.delete()
    assert not ComparisonAgreement.objects.filter(comparison_id=corpus.poem.id).exists()
    project.delete()
    assert not ComparisonAgreement.objects.exists()


def test_each_stored_figure_holds_its_band_and_its_comparisons_creation(project, corpus):
    rows = ComparisonAgreement.objects.filter(project=project).select_related("comparison")
    assert {row.comparison_id: row.band for row in rows} == {corpus.refund.id: "high", corpus.poem.id: "low"}
    assert all(row.created_at == row.comparison.created_at for row in rows)


def test_a_band_lists_its_comparisons_newest_first(project, corpus):
    older = comparison_with(project, ["Boil the water.", "Use the microwave."])
    rank(older, corpus.trainers[0], [[0], [1]])
    rank(older, corpus.trainers[1], [[0], [1]])
    Comparison.objects.filter(id=older.id).update(created_at=corpus.refund.created_at - timedelta(days=2))
    project_stats_refresh(project_id=project.id)
    band = comparisons_browse(project=project, filters={"agreement": "high"})
    assert list(band.values_list("id", flat=True)) == [corpus.refund.id, older.id]


def test_a_search_that_would_take_too_long_is_given_up(project, corpus, monkeypatch):
    monkeypatch.setattr(browse, "BROWSE_TIMEOUT_MS", 50)
    slow = Comparison.objects.filter(id__in=RawSQL("SELECT id FROM labeler_comparison, pg_sleep(0.5)", []))
    assert browse.newest_matches(slow.values_list("id", flat=True), limit=10) is None
    quick = comparisons_browse(project=project, filters={"q": "sea"}).values_list("id", flat=True)
    assert browse.newest_matches(quick, limit=10) == [corpus.poem.id]
