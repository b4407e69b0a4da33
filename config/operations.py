"""For load balancers, orchestrators and Prometheus: /healthz, /readyz and /metrics.

- /healthz: the process answers (liveness); it touches nothing else, so a database outage
  does not get every web process restarted.
- /readyz: the database and the broker answer (readiness), as JSON naming each; 503 when
  either does not. The model endpoints of active projects are listed too, without
  failing readiness: a provider's outage is not this deployment's.
- /metrics: the Prometheus text format, read from the database and the broker at scrape
  time, so every web process reports the same figures. With RANKLAB_METRICS_TOKEN set, a
  scrape must send it as a bearer token.
"""

import hmac
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from exports.models import Export, WebhookDelivery
from labeler.models import Comparison, ModelEndpoint
from rankings.models import Ranking
from ranklab.health import broker_ping, broker_queue_depth
from ranklab.outbound import OutboundRefused, outbound_url_check

_MODEL_CHECK_SECONDS = 2.0
_MODEL_CHECK_EVERY_SECONDS = 30.0
_MODELS_LISTED = 10
_model_checks: dict[str, tuple[float, bool]] = {}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _model_answers(base_url: str) -> bool:
    """Whether `base_url`/models answers with HTTP at all, remembered for half a minute."""
    checked = _model_checks.get(base_url)
    if checked and time.monotonic() - checked[0] < _MODEL_CHECK_EVERY_SECONDS:
        return checked[1]
    try:
        outbound_url_check(base_url)
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=_MODEL_CHECK_SECONDS):  # noqa: S310
            answers = True
    except urllib.error.HTTPError:
        answers = True  # an HTTP error is an answer: the server is up
    except (OutboundRefused, OSError, ValueError):
        answers = False
    _model_checks[base_url] = (time.monotonic(), answers)
    return answers


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    database = _database_answers()
    broker = broker_ping()
    models = {}
    # The endpoints' addresses are the leads' configuration: with a token set, only its holder sees them.
    if database and _scrape_allowed(request):
        urls = (
            ModelEndpoint.objects.filter(is_active=True)
            .values_list("base_url", flat=True)
            .distinct()
            .order_by("base_url")[:_MODELS_LISTED]
        )
        models = {url: _model_answers(url) for url in urls}
    ready = database and broker
    body = {"ready": ready, "database": database, "broker": broker, "model_endpoints": models}
    return JsonResponse(body, status=200 if ready else 503)


class _RankLabCollector:
    """The figures of the whole deployment, read when Prometheus scrapes."""

    def collect(self):
        comparisons = GaugeMetricFamily(
            "ranklab_comparisons",
            "Comparisons by status (pending and sampling are the sampling backlog).",
            labels=["status"],
        )
        counts = dict(Comparison.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in Comparison.Status.values:
            comparisons.add_metric([status], counts.get(status, 0))
        yield comparisons

        backlog = GaugeMetricFamily("ranklab_sampling_backlog", "Comparisons waiting for or in sampling.")
        backlog.add_metric([], counts.get(Comparison.Status.PENDING, 0) + counts.get(Comparison.Status.SAMPLING, 0))
        yield backlog

        rankings = CounterMetricFamily("ranklab_rankings", "Rankings stored; rate() gives rankings per second.")
        rankings.add_metric([], Ranking.objects.count())
        yield rankings

        failed = GaugeMetricFamily(
            "ranklab_failed_jobs", "Background work that failed for good, by kind.", labels=["kind"]
        )
        failed.add_metric(["sampling"], counts.get(Comparison.Status.FAILED, 0))
        failed.add_metric(["export"], Export.objects.filter(status=Export.Status.FAILED).count())
        failed.add_metric(["webhook"], WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count())
        yield failed

        depth = broker_queue_depth()
        queue = GaugeMetricFamily(
            "ranklab_queue_depth", "Messages waiting in the task queue (NaN: broker unreachable)."
        )
        queue.add_metric([], float("nan") if depth is None else depth)
        yield queue

        up = GaugeMetricFamily("ranklab_broker_up", "1 when the task queue's broker answers.")
        up.add_metric([], 0 if depth is None else 1)
        yield up


_registry = CollectorRegistry(auto_describe=False)
_registry.register(_RankLabCollector())


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _scrape_allowed(request):
        return HttpResponse("A bearer token is needed.\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)


def _scrape_allowed(request: HttpRequest) -> bool:
    """No RANKLAB_METRICS_TOKEN set, or the request brings it as a bearer token."""
    token = settings.RANKLAB_METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return not token or hmac.compare_digest(given.encode(), token.encode())
