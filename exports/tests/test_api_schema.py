"""The OpenAPI schema documents every answer the pipeline API gives, and /api/ answers in JSON."""

import jsonschema
import pytest
import yaml
from django.urls import reverse

from exports.tokens import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return yaml.safe_load(client.get(reverse("api_schema")).content)


def test_every_operation_documents_its_error_answers(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "401" in responses, (method, path)
            if "{slug}" in path:
                assert "404" in responses, (method, path)
            for code in ("400", "401", "404"):
                if code in responses:
                    content = responses[code]["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    pull = schema["paths"]["/api/v1/projects/{slug}/comparisons"]["get"]
    assert "400" in pull["responses"]


def test_the_cursor_is_declared_with_its_alphabet_and_length(schema):
    pull = schema["paths"]["/api/v1/projects/{slug}/comparisons"]["get"]
    after = next(parameter for parameter in pull["parameters"] if parameter["name"] == "after")
    cursor, empty = after["schema"]["oneOf"]  # a cursor, or nothing for the first pull
    assert cursor == {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}
    assert empty == {"type": "string", "maxLength": 0}


@pytest.mark.parametrize("value", ["", "djE6MDow", "-_"])
def test_every_cursor_the_api_takes_matches_exactly_one_branch_of_its_schema(schema, value):
    # `oneOf` means exactly one: an empty cursor that also matched the pattern would be a value
    # the schema calls invalid and the API accepts.
    pull = schema["paths"]["/api/v1/projects/{slug}/comparisons"]["get"]
    after = next(parameter for parameter in pull["parameters"] if parameter["name"] == "after")
    jsonschema.validate(value, after["schema"])


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/nothing", "/api/v2/projects", "/api/v1/projects/"])
def test_an_unmatched_api_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "after",
    ["djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk6MQ", "not a cursor!", "x" * 65, "djI6MTox", "djE6LTE6MQ"],
    ids=["huge xid", "bad alphabet", "too long", "other version", "negative"],
)
def test_a_cursor_the_api_did_not_hand_out_is_a_400(client, project, after):
    _, secret = token_create(project=project, name="ci", user=None)
    response = client.get(
        reverse("api_comparisons", args=[project.slug]),
        {"after": after},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]
