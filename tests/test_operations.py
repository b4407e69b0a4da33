"""/healthz, /readyz and /metrics, for load balancers, orchestrators and Prometheus."""

import json

import pytest
from celery import current_app as app
from prometheus_client.parser import text_string_to_metric_families

from labeler.models import Comparison
from labeler.tests.factories import ComparisonFactory, ModelEndpointFactory
from rankings.tests.factories import lease, ready_comparisons, submit

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok\n"


def test_readyz_names_the_database_broker_and_model_endpoints(client, project, fake_model_server):
    ModelEndpointFactory(project=project, base_url=fake_model_server.base_url)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "database": True,
        "broker": True,
        "model_endpoints": {fake_model_server.base_url: True},
    }


@pytest.fixture
def broker_gone(own_redis):
    saved = app.conf.broker_url
    app.conf.broker_url = own_redis.url
    app._pool, app.amqp._producer_pool = None, None
    own_redis.kill()
    yield
    app.conf.broker_url = saved
    app._pool, app.amqp._producer_pool = None, None


def test_readyz_is_503_while_the_broker_is_down(client, broker_gone):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.text)["broker"] is False


def metric_values(text: str) -> dict[tuple, float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_report_the_backlog_rankings_failures_and_queue_depth(client, project, trainer):
    ready_comparisons(project, 3)
    ComparisonFactory.create_batch(2, project=project, status=Comparison.Status.PENDING)
    ComparisonFactory(project=project, status=Comparison.Status.FAILED)
    assignment = lease(project, trainer)
    submit(assignment, tiers=[[candidate] for candidate in reversed(assignment.display_order)])

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    values = metric_values(response.text)
    assert values[("ranklab_sampling_backlog", ())] == 2
    assert values[("ranklab_comparisons", (("status", "pending"),))] == 2
    assert values[("ranklab_rankings_total", ())] == 1
    assert values[("ranklab_failed_jobs", (("kind", "sampling"),))] == 1
    assert values[("ranklab_broker_up", ())] == 1
    assert values[("ranklab_queue_depth", ())] >= 0


def test_metrics_ask_for_the_token_when_one_is_set(client, settings):
    settings.RANKLAB_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}).status_code == 200
