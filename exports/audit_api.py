"""The pipeline API's model audits: start a run of a suite, and read a run's report.

A token reads its own project's runs. Starting one makes model calls on the project's behalf,
so a token may start only the suites a lead has opened to pipelines (`pipeline_may_start`).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from exports.api import _ERRORS, PipelineView, _error, _message
from labeler.models import ModelEndpoint
from ranklab.errors import RankLabError
from safety.audits import audit_run_create
from safety.models import AuditRun, AuditSuite
from safety.selectors import run_get


class AuditStartSerializer(serializers.Serializer):
    suite = serializers.CharField(max_length=100, help_text="The suite's name.")
    endpoint = serializers.CharField(max_length=100, help_text="The name of the endpoint to audit.")
    baseline = serializers.CharField(
        max_length=100, required=False, allow_null=True, help_text="The name of the endpoint to compare with."
    )


class AuditRunSerializer(serializers.ModelSerializer):
    suite = serializers.CharField(source="suite.name")
    endpoint = serializers.CharField(source="endpoint.name")
    baseline = serializers.CharField(source="baseline.name", allow_null=True, default=None)
    report = serializers.JSONField(help_text="Per category and overall: rates, 95 % intervals, checks; and notes.")

    class Meta:
        model = AuditRun
        fields = [
            "id",
            "suite",
            "endpoint",
            "baseline",
            "status",
            "passed",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "report",
        ]


class AuditRunsApi(PipelineView):
    @extend_schema(
        request=AuditStartSerializer,
        responses={
            202: AuditRunSerializer,
            400: _error("The body is invalid, or names a suite or endpoint the project does not have."),
            403: _error("This suite is not open to pipeline tokens."),
            **_ERRORS,
        },
        summary="Start a model audit",
        description=(
            "Queues a run of the suite on the endpoint (against the baseline) and answers at once; "
            "read its report at the run's URL until `status` is `done` or `failed`. An `audit.completed` "
            "webhook is sent when it finishes."
        ),
    )
    def post(self, request, slug: str):
        project = self.project(request, slug)
        data = AuditStartSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not data.is_valid():
            raise ValidationError({"detail": _message(data.errors)})
        values = data.validated_data
        suite = AuditSuite.objects.filter(project=project, name=values["suite"]).first()
        if suite is None:
            raise ValidationError({"detail": f"No suite named {values['suite']!r} in this project."})
        endpoints = {
            endpoint.name: endpoint
            for endpoint in ModelEndpoint.objects.filter(
                project=project, name__in=[values["endpoint"], values.get("baseline") or values["endpoint"]]
            )
        }
        for key in ("endpoint", "baseline"):
            if values.get(key) and values[key] not in endpoints:
                raise ValidationError({"detail": f"No endpoint named {values[key]!r} in this project."})
        if not suite.pipeline_may_start:
            raise PermissionDenied("This suite is not open to pipeline tokens: a lead can open it on its page.")
        try:
            run = audit_run_create(
                suite=suite,
                endpoint=endpoints[values["endpoint"]],
                baseline=endpoints[values["baseline"]] if values.get("baseline") else None,
            )
        except RankLabError as error:
            raise ValidationError({"detail": str(error)}) from error
        return Response(AuditRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class AuditRunApi(PipelineView):
    @extend_schema(
        responses={200: AuditRunSerializer, **_ERRORS}, summary="A model audit run and its report", request=None
    )
    def get(self, request, slug: str, run_id: int):
        run = run_get(project=self.project(request, slug), run_id=run_id)
        return Response(AuditRunSerializer(run).data)
