import json

import pytest
from django.urls import reverse

from exports.tests.chat_data import TURNS, chat_project
from exports.tests.ranked import rank_all
from exports.tokens import token_create, token_revoke
from labeler.tests.factories import ProjectFactory

# Pulls see only committed work, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def secret(project, lead):
    return token_create(project=project, name="trainer pipeline", user=lead)[1]


def pull(client, slug, secret, **params):
    return client.get(reverse("api_comparisons", args=[slug]), params, headers={"Authorization": f"Bearer {secret}"})


def lines(response) -> list[dict]:
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_a_pipeline_pulls_native_rows_and_a_cursor(client, project, secret):
    project.overlap = 2
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=3, trainers=2)
    response = pull(client, project.slug, secret)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl"
    rows = lines(response)
    assert len(rows) == 3
    assert len(rows[0]["rankings"]) == 2
    assert rows[0]["rankings"][0]["annotator"].startswith("ann-")
    assert rows[0]["agreement"] == 1.0
    assert len(rows[0]["consensus"]) == 3

    again = pull(client, project.slug, secret, after=response["X-Next-Cursor"])
    assert lines(again) == []
    assert again["X-Next-Cursor"] == response["X-Next-Cursor"]


def test_the_trl_format_streams_pairs(client, project, secret):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=2, trainers=1)
    rows = lines(pull(client, project.slug, secret, format="trl"))
    assert len(rows) == 2 * 5  # K=4 with one tie: 6 pairs less the tied one
    assert {"prompt", "chosen", "rejected", "comparison_id", "group_id"} <= rows[0].keys()


def test_a_limit_pages_through_every_row_once(client, project, secret):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=5, trainers=1)
    seen, cursor = [], ""
    for _ in range(4):
        response = pull(client, project.slug, secret, after=cursor, limit=2)
        seen += [row["comparison_id"] for row in lines(response)]
        cursor = response["X-Next-Cursor"]
    assert len(seen) == 5 == len(set(seen))


def test_a_token_of_another_project_gets_404(client, project, lead):
    other = ProjectFactory()
    secret = token_create(project=other, name="other", user=lead)[1]
    for name in ("api_comparisons", "api_status", "api_exports"):
        response = client.get(reverse(name, args=[project.slug]), headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 404
        assert response.json()["detail"]


def test_a_revoked_token_is_refused(client, project, lead, secret):
    from exports.models import ApiToken

    token_revoke(project=project, token_id=ApiToken.objects.get().id)
    response = pull(client, project.slug, secret)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_no_token_is_refused_with_json(client, project):
    response = client.get(reverse("api_comparisons", args=[project.slug]))
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_a_bad_cursor_format_or_filter_is_a_clear_error(client, project, secret):
    assert "cursor" in pull(client, project.slug, secret, after="garbage!").json()["detail"]
    bad_format = pull(client, project.slug, secret, format="csv")
    assert bad_format.status_code == 400
    assert "Unknown format csv" in bad_format.json()["detail"]
    assert "min_agreement" in pull(client, project.slug, secret, min_agreement="high").json()["detail"]
    assert "limit" in pull(client, project.slug, secret, limit=0).json()["detail"]


def test_a_pull_takes_the_export_filters(client, project, secret):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=2, trainers=1)  # every ranking flags its last candidate untruthful
    assert len(lines(pull(client, project.slug, secret))) == 2
    assert lines(pull(client, project.slug, secret, exclude_flag="untruthful")) == []
    assert lines(pull(client, project.slug, secret, min_rankings=2)) == []
    assert len(lines(pull(client, project.slug, secret, completed_after="2000-01-01", format="sft"))) == 2


def test_tokens_are_stored_hashed_and_record_their_use(client, project, secret):
    from exports.models import ApiToken

    token = ApiToken.objects.get()
    assert secret not in (token.token_hash, token.prefix)
    assert token.last_used_at is None
    pull(client, project.slug, secret)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_status_and_projects_endpoints(client, project, secret):
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(reverse("api_projects"), headers=headers).json() == [
        {"slug": project.slug, "name": project.name, "kind": "comparison", "k": 4, "overlap": 3}
    ]
    assert client.get(reverse("api_status", args=[project.slug]), headers=headers).json()["total"] == 0


def test_the_schema_and_local_swagger_ui_are_served(client):
    assert client.get(reverse("api_schema")).status_code == 200
    page = client.get(reverse("api_docs")).text
    assert "cdn" not in page and "static/drf_spectacular_sidecar" in page


def test_a_pipeline_pulls_a_chat_page_by_page_each_page_with_its_conversations_tree(client, project, secret):
    chat_project(project)
    first = pull(client, project.slug, secret, format="tree", limit=2)
    [tree] = lines(first)
    [turn_1] = tree["prompt"]["replies"]
    assert [reply["text"] for reply in turn_1["replies"][0]["replies"]] == [TURNS["2"][0]]
    [later] = lines(pull(client, project.slug, secret, format="tree", after=first["X-Next-Cursor"]))
    assert later["message_tree_id"] == tree["message_tree_id"]
    assert [reply["text"] for reply in later["prompt"]["replies"][0]["replies"][0]["replies"]] == [
        TURNS["2"][0],
        TURNS["2b"][0],
    ]
    assert len(lines(pull(client, project.slug, secret, format="kto"))) == 12
    assert len(lines(pull(client, project.slug, secret, format="prompt_only", min_rankings=2))) == 4
