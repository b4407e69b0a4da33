"""A lead's pages of the AI judge: its settings, and the comparisons where it disagrees most with people."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from labeler.selectors import project_get_for_lead
from rankings.forms import JudgeForm
from rankings.judging import judge_save
from rankings.models import Judge, JudgeRanking, ProjectStats
from ranklab.errors import RankLabError


@login_required
def judge_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Name the project's judge, change it or switch it off."""
    project = project_get_for_lead(user=request.user, slug=slug)
    judge = Judge.objects.filter(project=project).first()
    form = JudgeForm(request.POST or None, instance=judge)
    if request.method == "POST" and form.is_valid():
        try:
            saved = judge_save(project=project, **form.cleaned_data)
        except RankLabError as error:
            form.add_error(None, str(error))
        else:
            state = "judges every ready comparison" if saved.is_active else "is switched off"
            messages.success(request, f"Saved: the judge {state}.")
            return redirect("judge_settings", slug=project.slug)
    counts = dict(JudgeRanking.objects.filter(project=project).values_list("status").annotate(n=Count("id")).order_by())
    context = {"project": project, "tab": "judge", "form": form, "judge": judge, "counts": counts}
    return TemplateResponse(request, "rankings/judge_settings.html", context)


@login_required
def judge_disagreements(request: HttpRequest, slug: str) -> HttpResponse:
    """The comparisons where the judge agrees least with the people's consensus, as last computed."""
    project = project_get_for_lead(user=request.user, slug=slug)
    stats = ProjectStats.objects.filter(project=project).first()
    figures = (stats.data or {}).get("judge") if stats else None
    context = {"project": project, "tab": "judge", "stats": stats, "figures": figures}
    return TemplateResponse(request, "rankings/judge_disagreements.html", context)
