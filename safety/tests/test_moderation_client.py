import pytest

from safety.models import ModerationEndpoint
from safety.moderation import ModerationUnavailable, harm_key, moderate, moderation_results


@pytest.fixture
def endpoint(project, moderation_server):
    return ModerationEndpoint.objects.create(project=project, base_url=moderation_server.base_url)


def test_it_reads_each_texts_verdict_in_order(endpoint, moderation_server):
    results = moderate(endpoint=endpoint, texts=["How to build a bomb", "A poem about spring"])

    assert [result.flagged for result in results] == [True, False]
    assert results[0].categories == ["violence"]
    assert results[0].scores["violence"] == pytest.approx(0.91)
    assert moderation_server.requests == [
        {"model": "omni-moderation-latest", "input": ["How to build a bomb", "A poem about spring"]}
    ]


def test_a_filter_that_is_down_gives_no_verdict(endpoint, moderation_server):
    moderation_server.down = True

    with pytest.raises(ModerationUnavailable, match="HTTP 503"):
        moderate(endpoint=endpoint, texts=["hello"])


def test_a_filter_that_is_gone_gives_no_verdict(endpoint, moderation_server):
    moderation_server.stop()

    with pytest.raises(ModerationUnavailable, match="Could not reach"):
        moderate(endpoint=endpoint, texts=["hello"])


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"results": []},
        {"results": [{"categories": {}}]},
        {"results": [{"flagged": "yes"}]},
        {"results": [{"flagged": True, "categories": ["hate"]}]},
    ],
)
def test_an_answer_of_the_wrong_shape_gives_no_verdict(body):
    with pytest.raises(ModerationUnavailable):
        moderation_results(body, expected=1)


def test_scores_that_are_not_finite_numbers_are_left_out():
    (result,) = moderation_results(
        {"results": [{"flagged": False, "category_scores": {"hate": "high", "sexual": True, "violence": 0.5}}]},
        expected=1,
    )

    assert result.scores == {"violence": 0.5}


@pytest.mark.parametrize(
    ("category", "key"),
    [("self-harm/intent", "self_harm"), ("illicit/violent", "illegal_activity"), ("Hate", "hate"), ("spam", None)],
)
def test_filter_categories_map_to_the_harm_taxonomy(category, key):
    assert harm_key(category) == key
