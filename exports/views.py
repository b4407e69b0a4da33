"""A lead's pages: export files, pipeline tokens."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from exports import tokens as api_tokens
from exports.docs import export_formats_doc
from exports.formats import FORMAT_LABELS
from exports.models import ApiToken, Export, Webhook, WebhookDelivery
from exports.options import OPTIONS, ExportOptions, Option
from exports.services import export_create
from exports.tokens import token_create
from exports.webhooks import webhook_create
from labeler.selectors import project_get_for_lead
from ranklab.errors import RankLabError

_FORM_FIELDS = {
    bool: forms.BooleanField,
    int: forms.IntegerField,
    float: forms.FloatField,
    str: forms.CharField,
    date: forms.DateField,
}


def _form_field(option: Option) -> forms.Field:
    """The form's field for an export option; a box, or a field without a default, may stay empty."""
    kwargs = {
        "required": option.default is not None and option.type is not bool,
        "initial": option.default,
        "help_text": option.form_help,
    }
    if option.choices:
        blank = () if kwargs["required"] else (("", "—"),)
        return forms.ChoiceField(choices=(*blank, *option.choices), **kwargs)
    if option.type in (int, float):
        kwargs.update(min_value=option.minimum, max_value=option.maximum)
    if option.type is date:
        # The browser's date picker; it submits YYYY-MM-DD, which the field reads.
        kwargs["widget"] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return _FORM_FIELDS[option.type](**kwargs)


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=list(FORMAT_LABELS.items()),
        initial="trl",
        help_text=(
            "Expansion: the pair formats (trl, hh, openai_dpo); margin: trl; the filters: every format but the "
            "length ones (length_ratio_max, longer_chosen_share), which apply to the formats that write pairs."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update({option.name: _form_field(option) for option in OPTIONS})

    def options(self) -> ExportOptions:
        return ExportOptions.from_values(self.cleaned_data)


@login_required
def export_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    # Other pages hand their choices over in the query, e.g. the data browser's "Export these".
    handed = {option.name: request.GET[option.name] for option in OPTIONS if request.GET.get(option.name)}
    form = ExportForm(request.POST or None, initial=handed)
    if request.method == "POST" and form.is_valid():
        try:
            export_create(
                project=project, user=request.user, format=form.cleaned_data["format"], options=form.options()
            )
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Export queued.")
            return redirect("export_list", slug=project.slug)
    exports = Export.objects.filter(project=project).select_related("created_by")[:50]
    context = {"project": project, "tab": "exports", "form": form, "exports": exports}
    template = "exports/export_list.html#export-table" if request.htmx else "exports/export_list.html"
    return TemplateResponse(request, template, context)


@login_required
def export_formats(request: HttpRequest, slug: str) -> HttpResponse:
    """docs/export-formats.md, rendered: the export form links here, a running app has no repository to browse."""
    project = project_get_for_lead(user=request.user, slug=slug)
    context = {"project": project, "tab": "exports", "doc": export_formats_doc()}
    return TemplateResponse(request, "exports/export_formats.html", context)


@login_required
def export_download(request: HttpRequest, slug: str, export_id: int) -> FileResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    export = Export.objects.filter(project=project, id=export_id, status=Export.Status.DONE).first()
    if export is None:
        raise Http404("No such export.")
    name = f"{project.slug}-{export.id}-{export.format}.jsonl"
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name, content_type="application/jsonl")


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=Webhook.Event.choices, widget=forms.CheckboxSelectMultiple)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The pipeline that will use it.")


@login_required
def token_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _, secret = token_create(project=project, name=form.cleaned_data["name"], user=request.user)
        form = TokenForm()
    return _api_page(request, project, form=form, secret=secret)


def _api_page(request: HttpRequest, project, *, form: TokenForm | None = None, **extra) -> TemplateResponse:
    """The tokens and webhooks page; `extra` carries a secret shown this once."""
    context = {
        "project": project,
        "tab": "api",
        "form": form or TokenForm(),
        "tokens": ApiToken.objects.filter(project=project).order_by("-created_at"),
        "webhook_form": WebhookForm(),
        "webhooks": Webhook.objects.filter(project=project).order_by("-created_at"),
        "deliveries": WebhookDelivery.objects.filter(webhook__project=project).select_related("webhook")[:30],
        **extra,
    }
    return TemplateResponse(request, "exports/token_list.html", context)


@login_required
@require_POST
def webhook_add(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            webhook = webhook_create(project=project, url=form.cleaned_data["url"], events=form.cleaned_data["events"])
        except RankLabError as error:
            messages.error(request, str(error))
        else:
            # Shown in this answer only, like a new token's secret; the list shows its prefix.
            return _api_page(request, project, webhook_secret=webhook.secret, new_webhook=webhook)
    else:
        messages.error(request, "Give a URL and at least one event.")
    return redirect("token_list", slug=project.slug)


@login_required
@require_POST
def webhook_remove(request: HttpRequest, slug: str, webhook_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    if not Webhook.objects.filter(project=project, id=webhook_id).update(is_active=False):
        raise Http404("No such webhook.")
    messages.success(request, "Webhook switched off.")
    return redirect("token_list", slug=project.slug)


@login_required
@require_POST
def token_revoke(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    try:
        api_tokens.token_revoke(project=project, token_id=token_id)
    except RankLabError as error:
        raise Http404(str(error)) from error
    messages.success(request, "Token revoked.")
    return redirect("token_list", slug=project.slug)
