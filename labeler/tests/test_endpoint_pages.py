"""A lead's endpoint pages: add, edit, remove, test the connection; nobody else sees them."""

import pytest
from django.urls import reverse

from labeler.models import ModelEndpoint
from labeler.tests.factories import ModelEndpointFactory
from labeler.tests.fakeserver import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(project):
    return ModelEndpointFactory(project=project, name="Main", api_key_env="RANKLAB_TEST_API_KEY")


def pages(project, endpoint):
    slug = project.slug
    return [
        ("get", reverse("endpoint_list", args=[slug])),
        ("get", reverse("endpoint_create", args=[slug])),
        ("get", reverse("endpoint_edit", args=[slug, endpoint.id])),
        ("post", reverse("endpoint_delete", args=[slug, endpoint.id])),
        ("post", reverse("endpoint_test", args=[slug, endpoint.id])),
    ]


def form_data(**overrides):
    data = {
        "name": "vLLM fleet",
        "base_url": "https://vllm.example.com/v1",
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "api_key_env": "VLLM_API_KEY",
        "system_prompt": "",
        "temperature": "0.8",
        "top_p": "0.95",
        "max_tokens": "256",
        "stop_text": "</s>\n\\n\\nUser:",
        "seed_policy": "fixed",
        "base_seed": "7",
        "share": "4",
        "max_concurrency": "8",
        "timeout_seconds": "60",
        "is_active": "on",
    }
    return data | overrides


def test_a_user_of_another_project_gets_404_everywhere(outsider_client, project, endpoint):
    for method, url in pages(project, endpoint):
        assert getattr(outsider_client, method)(url).status_code == 404, url
    assert ModelEndpoint.objects.filter(id=endpoint.id).exists()


def test_a_trainer_gets_404_everywhere(trainer_client, project, endpoint):
    for method, url in pages(project, endpoint):
        assert getattr(trainer_client, method)(url).status_code == 404, url
    assert ModelEndpoint.objects.filter(id=endpoint.id).exists()


def test_an_endpoint_of_another_project_is_a_404(lead_client, project):
    other = ModelEndpointFactory()
    assert lead_client.get(reverse("endpoint_edit", args=[project.slug, other.id])).status_code == 404
    assert lead_client.post(reverse("endpoint_test", args=[project.slug, other.id])).status_code == 404


def test_a_lead_adds_an_endpoint(lead_client, project):
    response = lead_client.post(reverse("endpoint_create", args=[project.slug]), form_data())

    assert response.status_code == 302
    endpoint = project.endpoints.get()
    assert (endpoint.name, endpoint.model, endpoint.share, endpoint.base_seed) == (
        "vLLM fleet",
        "meta-llama/Llama-3.1-8B-Instruct",
        4,
        7,
    )
    assert endpoint.stop == ["</s>", "\n\nUser:"]
    listing = lead_client.get(reverse("endpoint_list", args=[project.slug]))
    assert "VLLM_API_KEY" in listing.text
    assert "&lt;/s&gt;" in lead_client.get(reverse("endpoint_edit", args=[project.slug, endpoint.id])).text


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("base_url", "ftp://models.example.com/v1", "Enter a valid URL."),
        ("base_url", "javascript:alert(1)", "Enter a valid URL."),
        ("api_key_env", "SECRET_KEY", "ending in _API_KEY"),
        ("api_key_env", "openai_api_key", "ending in _API_KEY"),
        ("temperature", "3", "Between 0 and 2."),
        ("share", "5", "Between 1 and 4."),
        ("stop_text", "a\nb\nc\nd\ne", "At most 4 stop sequences."),
    ],
)
def test_it_refuses_invalid_settings(lead_client, project, field, value, error):
    response = lead_client.post(reverse("endpoint_create", args=[project.slug]), form_data(**{field: value}))

    assert response.status_code == 200
    assert error in response.text
    assert not project.endpoints.exists()


def test_names_are_unique_within_a_project(lead_client, project, endpoint):
    response = lead_client.post(reverse("endpoint_create", args=[project.slug]), form_data(name="Main"))

    assert "already has an endpoint with that name" in response.text


def test_the_key_itself_is_never_shown(lead_client, project, endpoint, monkeypatch):
    monkeypatch.setenv("RANKLAB_TEST_API_KEY", "sk-very-secret-value")

    for url in [
        reverse("endpoint_list", args=[project.slug]),
        reverse("endpoint_edit", args=[project.slug, endpoint.id]),
    ]:
        response = lead_client.get(url)
        assert "RANKLAB_TEST_API_KEY" in response.text
        assert "sk-very-secret-value" not in response.text


def test_a_lead_edits_an_endpoint(lead_client, project, endpoint):
    data = form_data(name="Main", share="2", temperature="0.3")

    response = lead_client.post(reverse("endpoint_edit", args=[project.slug, endpoint.id]), data)

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.share, endpoint.temperature) == (2, 0.3)


def test_a_lead_removes_an_endpoint(lead_client, project, endpoint):
    response = lead_client.post(reverse("endpoint_delete", args=[project.slug, endpoint.id]))

    assert response.status_code == 302
    assert not project.endpoints.exists()


def test_the_connection_test_shows_the_answer_escaped(lead_client, project, fake_model_server):
    fake_model_server.script(Reply.ok(text="<script>alert(1)</script> Hello!"))
    endpoint = ModelEndpointFactory(project=project, base_url=fake_model_server.base_url)

    response = lead_client.post(reverse("endpoint_test", args=[project.slug, endpoint.id]), HTTP_HX_REQUEST="true")

    assert "Connected" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hello!" in response.text
    assert "<script>alert" not in response.text
    assert fake_model_server.requests[0]["max_tokens"] <= 16


def test_the_connection_test_shows_the_exact_error(lead_client, project, fake_model_server):
    fake_model_server.script(Reply.status(401))
    endpoint = ModelEndpointFactory(project=project, name="Key'd <svc>", base_url=fake_model_server.base_url)

    response = lead_client.post(reverse("endpoint_test", args=[project.slug, endpoint.id]), HTTP_HX_REQUEST="true")

    assert "Failed" in response.text
    assert "HTTP 401 from Key&#x27;d &lt;svc&gt;: Request refused with status 401" in response.text


def test_the_connection_test_reaches_the_embedded_model(lead_client, project, model_server):
    endpoint = ModelEndpointFactory(project=project, base_url=model_server, model="smollm2")

    response = lead_client.post(reverse("endpoint_test", args=[project.slug, endpoint.id]), HTTP_HX_REQUEST="true")

    assert "Connected" in response.text
    assert "smollm2 answered in" in response.text
