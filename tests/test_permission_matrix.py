"""Every URL pattern of the app, asked by every kind of visitor, GET and POST: the status each
gets. The patterns are discovered from the URL configuration, so a new view without an entry
in ACCESS below fails this test until someone says who may use it.

Visitors: nobody signed in; a trainer and a lead of the project; a trainer and a lead of
another project; a superuser who is no member; a pipeline token of the project and one of
another project. Each POST runs in a savepoint rolled back afterwards, so one visitor's
action (removing a member, revoking a token) never changes what the next one sees.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from exports.models import Export, Webhook
from exports.tokens import token_create
from exports.webhooks import webhook_create
from labeler.importing import rejects_report_save
from labeler.invitation_lists import Invitee
from labeler.invitations import invitations_create
from labeler.models import Invitation, Membership, Project
from labeler.tests.factories import MembershipFactory, ModelEndpointFactory, ProjectFactory, UserFactory
from privacy.models import PiiSpan
from rankings.chat import conversation_start
from rankings.models import Ranking
from rankings.tests.factories import lease, ready_comparisons
from safety.audits import suite_create
from safety.models import AuditProbe, ModerationEndpoint, ModerationVerdict
from safety.tests.audit_data import finished_run

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Who may use each named page of a project: its leads, its trainers, or any member.
ACCESS = {
    "project_detail": "member",
    "project_settings": "lead",
    "project_members": "lead",
    "project_member_remove": "lead",
    "project_member_pause": "lead",
    "project_member_resume": "lead",
    "project_invite": "lead",
    "invitation_revoke": "lead",
    "invitation_resend": "lead",
    "project_import": "lead",
    "project_import_rejects": "lead",
    "endpoint_list": "lead",
    "endpoint_create": "lead",
    "endpoint_edit": "lead",
    "endpoint_delete": "lead",
    "endpoint_test": "lead",
    "project_sampling_status": "lead",
    "sampling_retry_failed": "lead",
    "sampling_resample": "lead",
    "rank_next": "trainer",
    "rank_submit": "trainer",
    "rank_skip": "trainer",
    "rank_history": "trainer",
    "ranking_revise": "trainer",
    "chat_list": "trainer",
    "chat_start": "trainer",
    "chat_detail": "trainer",
    "chat_turn": "trainer",
    "chat_rank": "trainer",
    "chat_continue": "trainer",
    "chat_answer": "trainer",
    "chat_branch": "trainer",
    "chat_retry": "trainer",
    "chat_end": "trainer",
    "project_dashboard": "lead",
    "project_stats_status": "lead",
    "project_stats_recompute": "lead",
    "comparison_open": "lead",
    "comparison_review": "lead",
    "adjudication_remove": "lead",
    "comparison_browse": "lead",
    "comparison_browse_detail": "lead",
    "judge_settings": "lead",
    "judge_disagreements": "lead",
    "redteam_attacks": "member",
    "redteam_safe_answer": "member",
    "export_list": "lead",
    "export_formats": "lead",
    "export_download": "lead",
    "token_list": "lead",
    "token_revoke": "lead",
    "webhook_add": "lead",
    "webhook_remove": "lead",
    "moderation_settings": "lead",
    "moderation_review": "trainer",
    "audit_home": "lead",
    "audit_suite_default": "lead",
    "audit_suite_detail": "lead",
    "audit_suite_import": "lead",
    "audit_run_start": "lead",
    "audit_endpoint_runs": "lead",
    "audit_run_detail": "lead",
    "audit_run_again": "lead",
    "audit_answer_detail": "lead",
    "audit_answer_send": "lead",
    "pii_settings": "lead",
    "erasure_preview": "lead",
    "erasure_confirm": "lead",
    "pii_span_decide": "member",
    "pii_span_mark": "member",
}
POST_ONLY = {
    "project_member_remove", "project_member_pause", "project_member_resume", "project_invite", "invitation_revoke",
    "invitation_resend", "endpoint_delete", "endpoint_test", "sampling_retry_failed", "sampling_resample",
    "rank_submit", "rank_skip", "project_stats_recompute", "adjudication_remove", "token_revoke", "webhook_add",
    "webhook_remove", "chat_start", "chat_turn", "chat_rank", "chat_continue", "chat_answer", "chat_branch",
    "chat_retry", "chat_end", "redteam_safe_answer", "moderation_review", "audit_suite_default",
    "audit_suite_import", "audit_run_start", "audit_run_again", "audit_answer_send", "erasure_confirm",
    "pii_span_decide", "pii_span_mark",
}  # fmt: skip
# Calls of a page's script that answer a member's POST without its fields with 400 and the field to fix.
JSON_WRITES = {"pii_span_decide", "pii_span_mark"}
API = {"api_status", "api_exports", "api_comparisons", "api_audit_run"}
IDENTITIES = ["anonymous", "trainer", "lead", "other_trainer", "other_lead", "superuser", "token", "other_token"]
SIGNED_IN = {"trainer", "lead", "other_trainer", "other_lead", "superuser"}
TOKENS = {"token", "other_token"}
# Pages of their own: (GET, POST) for a visitor signed in, not signed in, and with a token.
OTHERS = {
    "favicon": {"*": (302, 405)},
    "healthz": {"*": (200, 405)},
    "readyz": {"*": (200, 405)},
    "metrics": {"*": (200, 405)},
    "login": {"*": (200, 200)},
    "password_reset": {"*": (200, 200)},
    "password_reset_done": {"*": (200, 405)},
    "password_reset_confirm": {"*": (200, 200)},
    "password_reset_complete": {"*": (200, 405)},
    # A made-up link: nobody's invitation, whoever asks.
    "invitation_accept": {"*": (404, 404)},
    "logout": {"*": (405, 302)},
    "api_schema": {"*": (200, 405)},
    "api_docs": {"*": (200, 405)},
    "home": {"signed_in": (200, 200), "*": (302, 302)},
    "project_create": {"superuser": (200, 200), "signed_in": (403, 403), "*": (302, 302)},
    "api_projects": {"token": (200, 405), "*": (401, 401)},
    # Starting an audit is a POST with a body: an empty one is a 400 to the project's token.
    "api_audit_runs": {"token": (405, 400), "other_token": (405, 404), "*": (401, 401)},
    # Read-only, and only for the trainer holding the verdict's comparison.
    "moderation_verdict": {"trainer": (200, 405), "signed_in": (404, 405), "*": (302, 302)},
}


def patterns(resolver=None, prefix="", namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from patterns(pattern, prefix + str(pattern.pattern), pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


@pytest.fixture
def world(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    # A red-team chat project: its trainer's chat and red-team pages answer too, the queue's as for any project.
    project, other = ProjectFactory(kind=Project.Kind.CHAT, red_team=True), ProjectFactory()
    people = {
        "trainer": MembershipFactory(project=project, role=Membership.Role.TRAINER),
        "lead": MembershipFactory(project=project, role=Membership.Role.LEAD),
        "other_trainer": MembershipFactory(project=other, role=Membership.Role.TRAINER),
        "other_lead": MembershipFactory(project=other, role=Membership.Role.LEAD),
    }
    superuser = UserFactory(is_staff=True, is_superuser=True)
    comparison = ready_comparisons(project, 2)[0]
    assignment = lease(project, people["trainer"].user)
    ranked = project.comparisons.exclude(id=assignment.comparison_id).first()
    candidates = list(ranked.candidates.values_list("id", flat=True))
    ranking = Ranking.objects.create(
        comparison=ranked, trainer=people["trainer"].user, tiers=[[c] for c in candidates], display_order=candidates
    )
    conversation = conversation_start(project=project, trainer=people["trainer"].user)
    rejects = rejects_report_save(project=project, rejects=[])
    endpoint = ModelEndpointFactory(project=project, base_url="http://127.0.0.1:9/v1", timeout_seconds=2)
    ModerationEndpoint.objects.create(project=project, base_url="http://127.0.0.1:9/v1", timeout_seconds=2)
    verdict = ModerationVerdict.objects.create(
        project=project,
        comparison=assignment.comparison,
        candidate=assignment.comparison.candidates.first(),
        status=ModerationVerdict.Status.CHECKED,
        flagged=True,
        categories=["violence"],
    )
    name = default_storage.save(f"exports/{project.slug}/1-native.jsonl", ContentFile(b"{}\n"))
    export = Export.objects.create(project=project, format="native", status=Export.Status.DONE, file=name)
    token, secret = token_create(project=project, name="ci", user=None)
    _, other_secret = token_create(project=other, name="ci", user=None)
    webhook = webhook_create(project=project, url="http://127.0.0.1:9/hook", events=[Webhook.Event.EXPORT_FINISHED])
    suite = suite_create(project=project, name="Gate")
    probe = AuditProbe.objects.create(
        suite=suite, external_id="p1", category="hate", messages=[{"role": "user", "content": "A probe"}]
    )
    baseline = ModelEndpointFactory(project=project, base_url="http://127.0.0.1:9/v1", timeout_seconds=2)
    run = finished_run(suite, endpoint, baseline)
    sent = invitations_create(
        project=project,
        invitees=[Invitee(line=1, email="invited@example.org", role=Membership.Role.TRAINER)],
        invited_by=None,
        site_url="http://testserver",
    )
    assert sent.invited
    invitation = Invitation.objects.get(project=project)
    span = PiiSpan.objects.create(
        project=project,
        conversation_id=comparison.conversation_id,
        message_id=comparison.prompt_message_id,
        entity_type="PERSON",
        start=0,
        end=3,
        score=0.85,
        detector="matrix",
        value_hash="0" * 16,
    )
    users = {identity: membership.user for identity, membership in people.items()} | {"superuser": superuser}
    clients = {identity: Client() for identity in IDENTITIES}
    for identity, user in users.items():
        clients[identity].force_login(user)
    values = {
        "slug": project.slug,
        "membership_id": people["trainer"].id,
        "endpoint_id": endpoint.id,
        "comparison_id": comparison.id,
        "assignment_id": assignment.id,
        "ranking_id": ranking.id,
        "conversation_id": conversation.id,
        "key": rejects,
        "export_id": export.id,
        "token_id": token.id,
        "webhook_id": webhook.id,
        "verdict_id": verdict.id,
        "suite_id": suite.id,
        "run_id": run.id,
        "probe_id": probe.id,
        "span_id": span.id,
        "invitation_id": invitation.id,
        "token": "not-a-real-invitation",
        "uidb64": "MQ",
        "object_id": "1",
        "content_type_id": "1",
        "id": str(superuser.id),
        "app_label": "auth",
        "url": "nothing-here/",
    }
    headers = {
        "token": {"Authorization": f"Bearer {secret}"},
        "other_token": {"Authorization": f"Bearer {other_secret}"},
    }
    name = re.compile(re.escape(project.name.encode()) + rb"(?!\d)")
    return {"clients": clients, "users": users, "values": values, "headers": headers, "name": name}


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def url_of(route: str, name: str | None, pattern: URLPattern, values: dict) -> str:
    parameters = set(pattern.pattern.regex.groupindex)
    missing = parameters - values.keys()
    assert not missing, f"{name or route}: give the matrix a value for {sorted(missing)}"
    if name is None:
        if route == "^api/":
            return "/api/v9/nothing-here"
        # The admin's unnamed redirects, e.g. admin/auth/group/<path:object_id>/.
        assert route.startswith("admin/"), f"the pattern {route!r} has no name: name it and give it an expectation"
        path = _CONVERTER.sub(lambda match: values[match.group(1) or match.group(2)], route)
        return "/" + path.removeprefix("^").removesuffix("$")
    return reverse(name, kwargs={key: values[key] for key in parameters})


def group_of(identity: str) -> str:
    return "signed_in" if identity in SIGNED_IN else "token" if identity in TOKENS else "anonymous"


def expected(route: str, name: str | None, identity: str, method: str) -> set[int] | None:
    """The statuses `identity` may get; None: anything but a server error (a superuser in the admin)."""
    index = 0 if method == "GET" else 1
    if name is None or name.startswith("admin:"):
        if name is None and not route.startswith("admin/"):
            return {404}
        if identity == "superuser":
            return None
        return {200} if name == "admin:login" else {302}
    if name in OTHERS:
        rules = OTHERS[name]
        for key in (identity, group_of(identity), "*"):
            if key in rules:
                return {rules[key][index]}
    if name in API:
        if identity == "token":
            return {200} if method == "GET" else {405}
        return {404} if identity == "other_token" and method == "GET" else {405} if identity == "other_token" else {401}
    assert name in ACCESS, f"{name}: say in ACCESS who may use this page"
    if identity not in SIGNED_IN:
        return {302}
    if method == "GET" and name in POST_ONLY:
        return {405}
    if name == "chat_rank" and identity == "trainer":
        # The matrix's assignment is a queue lease, no turn of this conversation: not found.
        return {404}
    role = {"lead": "lead", "trainer": "trainer"}.get(identity)
    if role is not None and ACCESS[name] in (role, "member"):
        return {400} if name in JSON_WRITES else {200, 302}
    return {404}


def test_every_url_pattern_answers_each_visitor_as_its_role_allows(world):
    discovered = list(patterns())
    named = {name for _, name, _ in discovered if name and ":" not in name}
    assert named - set(ACCESS) - set(OTHERS) - API == set(), "a page with no entry in the matrix"
    cells, wrong = 0, []
    for route, name, pattern in discovered:
        url = url_of(route, name, pattern, world["values"])
        for identity in IDENTITIES:
            client, headers = world["clients"][identity], world["headers"].get(identity, {})
            for method in ("GET", "POST"):
                with transaction.atomic():
                    response = client.generic(method, url, headers=headers)
                    transaction.set_rollback(True)
                cells += 1
                if name in ("logout", "admin:logout") and identity in world["users"]:
                    client.force_login(world["users"][identity])  # the rollback does not bring the cookie back
                allowed = expected(route, name, identity, method)
                if response.status_code >= 500 or (allowed is not None and response.status_code not in allowed):
                    wrong.append(f"{method} {url} as {identity}: {response.status_code}, expected {allowed}")
                body = b"".join(response.streaming_content) if response.streaming else response.content
                if identity.startswith("other") and world["name"].search(body):
                    wrong.append(f"{method} {url} as {identity} shows the project's name")
    assert not wrong, f"{len(wrong)} of {cells} cells:\n" + "\n".join(wrong[:60])
    assert cells == len(discovered) * len(IDENTITIES) * 2
    print(f"{len(discovered)} URL patterns × {len(IDENTITIES)} visitors × GET/POST = {cells} cells")
