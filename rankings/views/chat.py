"""The trainer's chat pages: their conversations, and one conversation turn by turn.

Only the trainer who holds a conversation sees it; everyone else gets a 404, as for anything
outside their projects. Forms post and redirect back to the conversation, so a reload never
repeats a write; the ranking form posts through htmx like the queue's.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from labeler.models import Assignment, Conversation, Message, Project
from labeler.selectors import project_get_for_trainer
from privacy.screen import texts_mark
from rankings import chat as chat_services
from rankings.chat import StaleConversation, chat_step, conversation_tree, conversations_of
from rankings.services import ConfirmationNeeded, ranking_submit
from rankings.views.ranking import comparison_context, judgement_from
from ranklab.errors import RankLabError

# How often the page asks for the answers that have arrived while a turn is sampled: often
# at first, when a fast model's answers come, then less, so a slow model costs few requests.
POLL_MS = 100
POLL_SLOWER = ((2, 250), (10, 1000))  # (after this many seconds of sampling, poll every N ms)


def poll_ms(step) -> int:
    if step.comparison is None:
        return POLL_MS
    waited = (timezone.now() - step.comparison.created_at).total_seconds()
    return max([POLL_MS, *(every for after, every in POLL_SLOWER if waited >= after)])


def _chat_project(request: HttpRequest, slug: str) -> Project:
    project = project_get_for_trainer(user=request.user, slug=slug)
    if project.kind != Project.Kind.CHAT:
        raise Http404("This project is not a chat project.")
    return project


def _conversation(
    request: HttpRequest, project: Project, conversation_id: int, *, head: bool = True, assignment_id: int | None = None
) -> Conversation:
    """The caller's conversation in the project, or a 404; with `assignment_id`, one of its turns' too.

    Forms that write leave out the head: their service reads the conversation again under its lock.
    """
    conversations = Conversation.objects.filter(project=project, id=conversation_id, created_by=request.user)
    if head:
        conversations = conversations.select_related("head")
    if assignment_id is not None:
        turns = Assignment.objects.filter(id=assignment_id, comparison__conversation=OuterRef("pk"))
        conversations = conversations.filter(Exists(turns))
    conversation = conversations.first()
    if conversation is None:
        raise Http404("No such conversation." if assignment_id is None else "No such turn in this conversation.")
    conversation.project = project
    return conversation


@login_required
def chat_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = _chat_project(request, slug)
    context = {"project": project, "conversations": conversations_of(project=project, trainer=request.user)}
    return TemplateResponse(request, "rankings/chat_list.html", context)


@login_required
@require_POST
def chat_start(request: HttpRequest, slug: str) -> HttpResponse:
    project = _chat_project(request, slug)
    scenario = request.POST.get("scenario", "")
    try:
        conversation = chat_services.conversation_start(
            project=project, trainer=request.user, scenario=int(scenario) if scenario.isdigit() else None
        )
    except RankLabError as error:
        messages.error(request, str(error))
        return redirect("chat_list", slug=project.slug)
    return redirect("chat_detail", slug=project.slug, conversation_id=conversation.id)


@login_required
def chat_detail(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    project = _chat_project(request, slug)
    conversation = _conversation(request, project, conversation_id)
    if request.htmx and request.GET.get("part") == "step":
        return _step(request, project, conversation)
    return _page(request, project, conversation)


def _step(request, project, conversation, *, template="rankings/chat.html#chat-step", **extra) -> HttpResponse:
    """The step under the branch alone: what the page polls for while a turn is sampled."""
    step = chat_step(conversation=conversation, trainer=request.user)
    context = {
        "project": project,
        "conversation": conversation,
        "step": step,
        "poll_ms": poll_ms(step),
        "step_url": reverse("chat_detail", args=[project.slug, conversation.id]) + "?part=step",
        **extra,
    }
    if step.kind == "rank" and step.assignment is not None:
        context.update(_rank_context(project, conversation, step.assignment, extra.get("submitted")))
    shown = [*extra.get("branch", ()), *_tree_messages(extra.get("tree", ()))]
    texts_mark(messages=shown, candidates=[*step.arrived, *step.top, *step.others])
    return TemplateResponse(request, template, context)


def _tree_messages(nodes) -> list[Message]:
    return [message for node in nodes for message in (node.message, *_tree_messages(node.children))]


def _page(request, project, conversation, **extra) -> HttpResponse:
    branch = chat_services.branch_to(conversation=conversation, message=conversation.head)
    return _step(
        request,
        project,
        conversation,
        template="rankings/chat.html",
        branch=branch,
        tree=conversation_tree(conversation=conversation),
        turns=sum(1 for message in branch if message.role == Message.Role.USER),
        **extra,
    )


def _rank_context(project, conversation, assignment, submitted) -> dict:
    return {
        "assignment": assignment,
        **comparison_context(project, assignment, submitted),
        "submit_url": reverse("chat_rank", args=[project.slug, conversation.id, assignment.id]),
        "skip_url": "",
        "in_chat": True,
    }


def _after(request, project, conversation, *, error: RankLabError | None = None) -> HttpResponse:
    if error is not None:
        level = messages.WARNING if isinstance(error, StaleConversation) else messages.ERROR
        messages.add_message(request, level, str(error))
    return redirect("chat_detail", slug=project.slug, conversation_id=conversation.id)


def _revision(form) -> int:
    value = form.get("revision", "")
    return int(value) if value.isdigit() else -1


def chat_action(act):
    """A chat form's view: the trainer's own conversation, one service call, back to the conversation.

    A refusal (a stale tab, a turn not ranked yet) comes back as a message on the page.
    """

    @login_required
    @require_POST
    @wraps(act)
    def view(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
        project = _chat_project(request, slug)
        conversation = _conversation(request, project, conversation_id, head=False)
        try:
            act(request, conversation, request.POST)
        except RankLabError as error:
            return _after(request, project, conversation, error=error)
        return _after(request, project, conversation)

    return view


@chat_action
def chat_turn(request, conversation, form) -> None:
    chat_services.chat_turn_write(
        conversation=conversation, trainer=request.user, text=form.get("text", ""), revision=_revision(form)
    )


@login_required
@require_POST
def chat_rank(request: HttpRequest, slug: str, conversation_id: int, assignment_id: int) -> HttpResponse:
    project = _chat_project(request, slug)
    conversation = _conversation(request, project, conversation_id, head=False, assignment_id=assignment_id)
    try:
        ranking_submit(
            trainer=request.user, project=project, assignment_id=assignment_id, judgement=judgement_from(request.POST)
        )
    except RankLabError as error:
        return _refused(request, project, conversation, assignment_id, error)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("chat_detail", args=[project.slug, conversation.id])
        return response
    return _after(request, project, conversation)


def _refused(request, project, conversation, assignment_id, error: RankLabError) -> HttpResponse:
    """The ranking form again, with what the trainer had arranged and why it was refused."""
    step = chat_step(conversation=conversation, trainer=request.user)
    if step.kind != "rank" or step.assignment is None or step.assignment.id != assignment_id:
        return _after(request, project, conversation, error=error)
    shown = {"error": str(error), "confirm": isinstance(error, ConfirmationNeeded), "submitted": request.POST}
    if not request.htmx:
        return _page(request, project, conversation, **shown)
    context = {"project": project, **shown, **_rank_context(project, conversation, step.assignment, request.POST)}
    return TemplateResponse(request, "rankings/rank.html#rank-area", context)


@chat_action
def chat_continue(request, conversation, form) -> None:
    chat_services.chat_continue(
        conversation=conversation,
        trainer=request.user,
        candidate_id=_int(form.get("candidate")),
        revision=_revision(form),
    )


@chat_action
def chat_answer(request, conversation, form) -> None:
    chat_services.chat_answer_write(
        conversation=conversation,
        trainer=request.user,
        comparison_id=_int(form.get("comparison")),
        text=form.get("text", ""),
        edited_from=_optional_int(form.get("edited_from")),
        revision=_revision(form),
    )


@chat_action
def chat_branch(request, conversation, form) -> None:
    chat_services.chat_head_move(
        conversation=conversation, message_id=_optional_int(form.get("message")), revision=_revision(form)
    )


@chat_action
def chat_retry(request, conversation, form) -> None:
    chat_services.chat_turn_retry(conversation=conversation, comparison_id=_int(form.get("comparison")))


@login_required
@require_POST
def chat_end(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    project = _chat_project(request, slug)
    conversation = _conversation(request, project, conversation_id)
    try:
        chat_services.conversation_end(
            conversation=conversation,
            rating=_optional_int(request.POST.get("rating")),
            revision=_revision(request.POST),
        )
    except RankLabError as error:
        return _after(request, project, conversation, error=error)
    messages.success(request, "Conversation ended. Thank you!")
    return redirect("chat_list", slug=project.slug)


def _optional_int(value) -> int | None:
    return _int(value) if value else None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise RankLabError("That choice could not be read; reload the page and try again.") from error
