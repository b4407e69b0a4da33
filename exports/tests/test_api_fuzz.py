"""Schemathesis against the pipeline API with a valid token: whatever the generated query,
no server error and no answer the OpenAPI schema does not describe."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from exports.tests.ranked import rank_all
from exports.tokens import token_create

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def pipeline(project):
    project.overlap = 1
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=3, trainers=1)
    _, secret = token_create(project=project, name="fuzz", user=None)
    return project.slug, secret


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_generated_request_as_its_schema_says(case, pipeline):
    slug, secret = pipeline
    if case.path_parameters and "slug" in case.path_parameters:
        case.path_parameters["slug"] = slug  # the token's project: the other slugs are the matrix's 404s
    # A case made to leave the token out must go without it, as schemathesis's own configured
    # auth does: the answer to expect is then a 401, not the data.
    headers = {} if case.operation.schema.is_security_param_negated(case) else {"Authorization": f"Bearer {secret}"}
    # A well-formed `after` that this API never handed out is refused with a 400, as the
    # schema documents; no pattern can tell such a cursor from a real one.
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
