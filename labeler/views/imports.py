"""A lead uploads conversations to a project, and downloads the reject report of a partial import."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from labeler.importing import ImportFailed, conversations_import, rejects_report_open, rejects_report_save
from labeler.parsing import ImportOptions
from labeler.selectors import project_get_for_lead


class ImportForm(forms.Form):
    # An empty file is the parser's to refuse, so that the page and the command say the same.
    file = forms.FileField(
        help_text="JSONL (one conversation per line), a JSON array or a Parquet file.", allow_empty_file=True
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label="Import the valid records and skip the invalid ones",
        help_text="Without it, one problem anywhere refuses the whole file. Skipped records are listed in a report.",
    )
    keep_unanswered = forms.BooleanField(
        required=False,
        label="Keep HH transcripts that end with a Human turn, as prompts to sample replies for",
    )


@login_required
def project_import(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    failure = result = report = None
    if request.method == "POST" and form.is_valid():
        options = ImportOptions(
            skip_invalid=form.cleaned_data["skip_invalid"], keep_unanswered=form.cleaned_data["keep_unanswered"]
        )
        try:
            result = conversations_import(
                project=project, source=form.cleaned_data["file"], user=request.user, options=options
            )
        except ImportFailed as error:
            failure = error
        else:
            if not result.rejects and not result.notes:
                messages.success(request, f"Imported {form.cleaned_data['file'].name}: {result.summary}")
                return redirect("project_import", slug=project.slug)
            # What was skipped or relaxed is listed on the page itself, with the report to download.
            if result.rejects:
                report = rejects_report_save(project=project, rejects=result.rejects)
    context = {
        "project": project,
        "tab": "import",
        "form": form,
        "failure": failure,
        "result": result,
        "report": report,
    }
    return TemplateResponse(request, "labeler/project_import.html", context, status=400 if failure else 200)


@login_required
def project_import_rejects(request: HttpRequest, slug: str, key: str) -> FileResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    report = rejects_report_open(project=project, key=key)
    if report is None:
        raise Http404("No such report.")
    return FileResponse(
        report, as_attachment=True, filename=f"{project.slug}-rejects.jsonl", content_type="application/jsonl"
    )
