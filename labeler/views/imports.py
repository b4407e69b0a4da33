"""A lead uploads conversations to a project."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from labeler.importing import ImportFailed, conversations_import
from labeler.selectors import project_get_for_lead


class ImportForm(forms.Form):
    file = forms.FileField(help_text="JSONL (one conversation per line) or a JSON array.")


@login_required
def project_import(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_get_for_lead(user=request.user, slug=slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    failure = None
    if request.method == "POST" and form.is_valid():
        try:
            result = conversations_import(project=project, source=form.cleaned_data["file"], user=request.user)
        except ImportFailed as error:
            failure = error
        else:
            messages.success(request, f"Imported {form.cleaned_data['file'].name}: {result.summary}")
            return redirect("project_import", slug=project.slug)
    context = {"project": project, "tab": "import", "form": form, "failure": failure}
    return TemplateResponse(request, "labeler/project_import.html", context, status=400 if failure else 200)
