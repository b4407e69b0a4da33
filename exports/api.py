"""The pipeline API: token-authenticated, one project per token, read-only but for starting the model
audits a lead has opened to pipelines (exports/audit_api.py)."""

from datetime import date

from django.http import Http404, JsonResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from exports.formats import FORMAT_LABELS, FORMATS, export_lines
from exports.judgements import AiJudgements
from exports.models import ApiToken, Export
from exports.moderation import export_rows
from exports.options import OPTIONS, ExportOptions, Option
from exports.pull import Cursor, pull_page
from exports.services import comparisons_selected, export_check, jsonl
from exports.tokens import token_authenticate
from labeler.models import Project
from labeler.projects import project_status_counts
from ranklab.errors import RankLabError

MAX_LIMIT = 1_000_000


class TokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode().lower() != "bearer" or len(header) != 2:
            raise AuthenticationFailed("Send the token as `Authorization: Bearer rlk_…`.")
        token = token_authenticate(header[1].decode(errors="replace"))
        if token is None:
            raise AuthenticationFailed("This token is unknown or has been revoked.")
        return (None, token)

    def authenticate_header(self, request):
        return self.keyword


class HasToken(BasePermission):
    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated("Send a project token as `Authorization: Bearer rlk_…`.")
        return True


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


_UNAUTHORIZED = {401: _error("No token, or one that is unknown or revoked.")}
_ERRORS = {**_UNAUTHORIZED, 404: _error("No such project for this token.")}


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Any /api/ path no view answers: a JSON 404, as the API's own errors are."""
    return JsonResponse({"detail": "Not found."}, status=404)


class PipelineView(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [HasToken]

    def project(self, request, slug: str) -> Project:
        """The token's project; any other project does not exist for this token."""
        if request.auth.project.slug != slug:
            raise Http404("No such project.")
        return request.auth.project


class ProjectSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    k = serializers.IntegerField()
    overlap = serializers.IntegerField()


class ProjectsApi(PipelineView):
    @extend_schema(responses={200: ProjectSerializer(many=True), **_UNAUTHORIZED}, summary="The token's project")
    def get(self, request):
        return Response(ProjectSerializer([request.auth.project], many=True).data)


class StatusApi(PipelineView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **_ERRORS}, summary="Comparisons of the project by status")
    def get(self, request, slug: str):
        return Response(project_status_counts(project=self.project(request, slug)))


class ExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Export
        fields = [
            "id",
            "format",
            "status",
            "row_count",
            "sha256",
            "schema_version",
            "manifest",
            "created_at",
            "finished_at",
        ]


class ExportsApi(PipelineView):
    @extend_schema(responses={200: ExportSerializer(many=True), **_ERRORS}, summary="Export manifests, newest first")
    def get(self, request, slug: str):
        exports = Export.objects.filter(project=self.project(request, slug))[:100]
        return Response(ExportSerializer(exports, many=True).data)


_QUERY_FIELDS = {
    bool: serializers.BooleanField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    str: serializers.CharField,
    date: serializers.DateField,
}


def _query_field(option: Option) -> serializers.Field:
    """The query parameter of an export option; a filter left out of the query is not applied."""
    kwargs = {"help_text": option.api_help or None}
    if option.is_filter:
        kwargs["required"] = False
    else:
        kwargs["default"] = option.default
    if option.choices:
        return serializers.ChoiceField(choices=option.values, **kwargs)
    if option.minimum is not None:
        kwargs["min_value"] = option.minimum
    if option.maximum is not None:
        kwargs["max_value"] = option.maximum
    return _QUERY_FIELDS[option.type](**kwargs)


class PullParams(serializers.Serializer):
    """The query of a pull: format, cursor, page size, and the export options (pair expansion, filters)."""

    format = serializers.ChoiceField(
        choices=FORMATS,
        default="native",
        error_messages={"invalid_choice": f"Unknown format {{input}}; choose one of {', '.join(FORMATS)}."},
        help_text="; ".join(FORMAT_LABELS.values()),
    )
    after = serializers.RegexField(
        Cursor.PATTERN,
        max_length=Cursor.MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="cursor from X-Next-Cursor",
        error_messages={
            "invalid": "The cursor is not one this API handed out.",
            "max_length": "The cursor is not one this API handed out.",
        },
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=MAX_LIMIT)

    def get_fields(self):
        return {**super().get_fields(), **{option.name: _query_field(option) for option in OPTIONS}}

    def options(self) -> ExportOptions:
        return ExportOptions.from_values(self.validated_data)


def _message(errors: dict) -> str:
    return " ".join(f"{field}: {' '.join(str(error) for error in problems)}" for field, problems in errors.items())


class ComparisonsApi(PipelineView):
    @extend_schema(
        summary="Completed comparisons after a cursor, as JSONL",
        description=(
            "Streams one JSON object per line (`application/jsonl`) in the chosen format. The response's "
            "`X-Next-Cursor` header is the `after` of the next pull; a pull that returns no row hands back the "
            "same cursor. Every completed comparison is returned exactly once across pulls, including those "
            "whose transaction committed while an earlier pull ran. `format=tree` returns, once the page is read, "
            "the message trees of the conversations that have a comparison in the page: merge the trees of "
            "successive pulls by `message_id`."
        ),
        parameters=[
            PullParams,
            OpenApiParameter(
                "X-Next-Cursor",
                str,
                location=OpenApiParameter.HEADER,
                response=[200],
                description="the `after` of the next pull",
            ),
        ],
        responses={
            (200, "application/jsonl"): OpenApiResponse(OpenApiTypes.STR),
            400: _error("A query parameter is invalid, or the cursor is not one this API handed out."),
            **_ERRORS,
        },
    )
    def get(self, request, slug: str):
        project = self.project(request, slug)
        # A plain dict, not the QueryDict: DRF reads an empty value of a form-like input as "left
        # out" (the default), while the schema, and so a client, says it is invalid.
        params = PullParams(data=request.query_params.dict())
        # The schema lists every parameter the pull takes: a name it does not know is a mistake to say.
        if unknown := sorted(set(request.query_params) - set(params.fields)):
            raise ValidationError({"detail": f"Unknown query parameter {', '.join(map(repr, unknown))}."})
        if not params.is_valid():
            raise ValidationError({"detail": _message(params.errors)})
        try:
            format, options = params.validated_data["format"], params.options()
            cursor = Cursor.decode(params.validated_data.get("after"))
            export_check(project=project, format=format, options=options)
        except RankLabError as error:
            raise ValidationError({"detail": str(error)}) from error
        if options.ai_judgements == "fill":
            # A comparison only the judge ranked never completes, and the pull follows completions.
            raise ValidationError(
                {"detail": "ai_judgements=fill is for export files: the pull returns completed comparisons, "
                 "which trainers ranked. Use ai_judgements=separate."}
            )  # fmt: skip
        limit = params.validated_data["limit"]
        page = pull_page(project=project, cursor=cursor, limit=limit)
        comparisons = comparisons_selected(project=project, comparisons=page.comparisons, options=options)
        ai = AiJudgements(options.ai_judgements) if options.ai_judgements else None
        rows = export_rows(project=project, comparisons=comparisons, format=format, ai=ai)
        response = StreamingHttpResponse(
            jsonl(export_lines(rows, format=format, options=options)), content_type="application/jsonl"
        )
        response["X-Next-Cursor"] = page.next_cursor.encode()
        return response
