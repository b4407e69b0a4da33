"""Red-team projects: the question and attacks stored with each ranking, the attacks page, safe answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from labeler.forms import ProjectForm
from labeler.models import Candidate, Membership, ModelEndpoint
from labeler.tests.factories import MembershipFactory
from rankings.attacks import success_rates
from rankings.models import Ranking, SafeAnswer
from rankings.redteam import attack_success_rates, safe_answer_save
from rankings.tests.factories import lease, ready_comparisons, submit, trainers_of
from rankings.tests.test_submission_validation import refused, reversed_tiers
from ranklab.errors import RankLabError

pytestmark = pytest.mark.django_db

ATTACK = {"category": "malware", "tactic": "role_play"}


@pytest.fixture
def red_team(project):
    project.red_team, project.overlap = True, 2
    project.save(update_fields=["red_team", "overlap"])
    return project


@pytest.fixture
def leased(red_team, trainer):
    ready_comparisons(red_team, 1)
    return lease(red_team, trainer)


def first(assignment) -> int:
    return assignment.display_order[0]


def test_a_red_team_ranking_stores_the_harmful_question_and_its_attacks(leased, trainer):
    ranking = submit(leased, tiers=reversed_tiers(leased), attacks={first(leased): ATTACK})
    ranking.refresh_from_db()
    assert ranking.question == "harmful"
    assert ranking.attacks == {str(first(leased)): ATTACK}


def test_an_ordinary_ranking_answers_the_helpful_question(project, trainer):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    assert submit(assignment, tiers=reversed_tiers(assignment)).question == "helpful"
    assert Ranking._meta.get_field("question").db_default == "helpful"


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ({"category": "", "tactic": "role_play"}, "Candidate A: choose the harm category of the attack."),
        ({"category": "arson", "tactic": "role_play"}, "Candidate A: unknown harm category 'arson'."),
        ({"category": "malware", "tactic": ""}, "Candidate A: choose the tactic of the attack."),
        ({"category": "malware", "tactic": "bribery"}, "Candidate A: unknown attack tactic 'bribery'."),
        ({"category": "malware"}, "Candidate A: an attack is a harm category and a tactic."),
    ],
)
def test_a_bad_attack_is_refused_naming_the_candidate_and_nothing_is_written(leased, trainer, attack, message):
    refused(leased, trainer, message, attacks={first(leased): attack})


def test_an_attack_on_a_stranger_candidate_is_refused(leased, trainer):
    refused(leased, trainer, "names candidate 999999", attacks={999999: ATTACK})


def test_attacks_are_refused_outside_red_team_projects(project, trainer):
    ready_comparisons(project, 1)
    assignment = lease(project, trainer)
    refused(assignment, trainer, "not a red-team project", attacks={first(assignment): ATTACK})


def test_a_red_team_project_always_offers_refused_needlessly(project):
    data = {"name": "Red", "kind": "chat", "red_team": "on", "k": 3, "overlap": 1, "lease_minutes": 10}
    form = ProjectForm({**data, "flags": "fails_task: Fails the task", "harm_category_lines": "malware: Malware"})
    assert form.is_valid(), form.errors
    assert [flag["key"] for flag in form.project_settings()["flag_taxonomy"]] == ["fails_task", "unnecessary_refusal"]
    assert form.project_settings()["harm_categories"] == [{"key": "malware", "label": "Malware"}]
    bad = ProjectForm({**data, "flags": "a: A", "harm_category_lines": "Malware"})
    assert not bad.is_valid()
    assert bad.errors["harm_category_lines"] == ["Harm category line 1: write it as `key: Label`."]


def test_the_ranking_screen_asks_the_projects_question_with_attack_controls(client, leased, trainer):
    Candidate.objects.filter(id=first(leased)).update(text="<script>alert(1)</script> harmful")
    client.force_login(trainer)
    page = client.get(reverse("rank_next", args=[leased.comparison.project.slug])).content.decode()
    assert "Which response is more harmful?" in page
    assert f'name="attack-category-{first(leased)}"' in page and f'name="attack-tactic-{first(leased)}"' in page
    assert "<script>alert(1)</script>" not in page
    assert page.count('value="unnecessary_refusal"') == len(leased.display_order)


def test_the_page_posts_an_attack_by_its_category_and_tactic(client, leased, trainer):
    client.force_login(trainer)
    tiers = "[" + ",".join(f"[{candidate}]" for candidate in reversed(leased.display_order)) + "]"
    url = reverse("rank_submit", args=[leased.comparison.project.slug, leased.id])
    client.post(url, {"tiers": tiers, f"attack-{first(leased)}": "1", f"attack-category-{first(leased)}": "malware"})
    assert Ranking.objects.count() == 0  # no tactic: refused
    client.post(
        url,
        {
            "tiers": tiers,
            f"attack-category-{first(leased)}": "privacy",
            f"attack-tactic-{first(leased)}": "obfuscation",
            f"flag-{leased.display_order[1]}": "unnecessary_refusal",
        },
    )
    ranking = Ranking.objects.get()
    assert ranking.attacks == {str(first(leased)): {"category": "privacy", "tactic": "obfuscation"}}
    assert ranking.flags == {str(leased.display_order[1]): ["unnecessary_refusal"]}


@pytest.fixture
def attacked(red_team, lead):
    """Two comparisons of endpoint `smol` ranked by two trainers: both mark one candidate of the first
    as malware by role-play, one marks a candidate of the second as privacy by a hypothetical."""
    smol = ModelEndpoint.objects.create(project=red_team, name="smol", base_url="http://127.0.0.1:9/v1", model="m")
    comparisons = ready_comparisons(red_team, 2)
    Candidate.objects.filter(comparison__in=comparisons).update(endpoint=smol)
    alice, bob = trainers_of(red_team, 2)
    marks = {
        (alice, 0): ATTACK,
        (bob, 0): ATTACK,
        (alice, 1): {"category": "privacy", "tactic": "hypothetical"},
    }
    for trainer in (alice, bob):
        for _ in comparisons:
            assignment = lease(red_team, trainer)
            mark = marks.get((trainer, comparisons.index(assignment.comparison)))
            target = min(assignment.display_order)
            submit(assignment, tiers=reversed_tiers(assignment), attacks={target: mark} if mark else {})
    return {"comparisons": comparisons, "alice": alice, "bob": bob}


def attacked_ids(comparison) -> set[int]:
    return {int(key) for ranking in comparison.rankings.all() for key in ranking.attacks}


def test_the_success_rate_is_the_share_of_ranked_candidates_attacked_with_its_wilson_interval(attacked, red_team):
    [rate] = attack_success_rates(project=red_team)
    assert (rate.endpoint, rate.attacked, rate.ranked) == ("smol", 2, 8)
    # Worked by hand: p = 2/8 = 0.25, n = 8, z = 1.96: centre (0.25 + 0.2401) / 1.4802 = 0.3311,
    # half-width 1.96 · √(0.25 · 0.75 / 8 + 0.0150) / 1.4802 = 0.2596: 7.15 % to 59.07 %.
    assert rate.rate == 0.25
    assert rate.interval == pytest.approx((0.0715, 0.5907), abs=1e-4)
    assert success_rates(ranked={"smol": 8}, attacked={"smol": 2}) == [rate]


def test_the_attacks_page_lists_and_filters_attacks_for_the_lead(client, attacked, red_team, lead):
    client.force_login(lead)
    url = reverse("redteam_attacks", args=[red_team.slug])
    everything = client.get(url)
    assert everything.status_code == 200
    assert len(everything.context["attacks"]) == everything.context["page"].paginator.count == 2
    assert b"Attack success rate per endpoint" in everything.content
    privacy = client.get(url, {"category": "privacy"}).context["attacks"]
    assert [entry["marks"][0]["category"] for entry in privacy] == ["Privacy"]
    assert client.get(url, {"tactic": "hypothetical"}).context["page"].paginator.count == 1
    assert client.get(url, {"tactic": "obfuscation"}).context["page"].paginator.count == 0
    assert client.get(url, {"endpoint": "smol"}).context["page"].paginator.count == 2
    assert client.get(url, {"endpoint": "other"}).context["page"].paginator.count == 0


def test_the_attacks_page_reads_every_prompt_in_one_query_however_many_attacks(
    client, attacked, red_team, lead, django_assert_num_queries
):
    client.force_login(lead)
    url = reverse("redteam_attacks", args=[red_team.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as two_attacks:
        client.get(url)
    with django_assert_num_queries(len(two_attacks)):
        client.get(url, {"category": "privacy"})


def test_a_trainer_sees_only_the_attacks_on_comparisons_they_ranked(client, attacked, red_team):
    newcomer = MembershipFactory(project=red_team, role=Membership.Role.TRAINER).user
    client.force_login(newcomer)
    page = client.get(reverse("redteam_attacks", args=[red_team.slug]))
    assert page.context["page"].paginator.count == 0
    assert page.context["rates"] is None
    client.force_login(attacked["bob"])
    assert client.get(reverse("redteam_attacks", args=[red_team.slug])).context["page"].paginator.count == 2


def test_a_safe_answer_is_written_or_picked_once_per_author_and_only_by_who_may(attacked, red_team, lead):
    comparison = attacked["comparisons"][0]
    [harmful] = attacked_ids(comparison)
    safe = comparison.candidates.exclude(id__in=attacked_ids(comparison)).first()

    def save(user, role="trainer", **fields):
        return safe_answer_save(
            project=red_team, user=user, role=role, harmful_candidate_id=fields.pop("harmful", harmful), **fields
        )

    written = save(attacked["bob"], text=" I can't help with that. ", from_candidate_id=None)
    again = save(attacked["bob"], text="I won't help with that.", from_candidate_id=None)
    assert (again.id, again.text) == (written.id, "I won't help with that.")
    picked = save(lead, role="lead", from_candidate_id=safe.id)
    assert (picked.text, picked.from_candidate) == (safe.text, safe)
    assert SafeAnswer.objects.count() == 2
    newcomer = MembershipFactory(project=red_team, role=Membership.Role.TRAINER).user
    for user, fields, message in [
        (newcomer, {"text": "No."}, "no such successful attack"),
        (lead, {"harmful": safe.id, "text": "No."}, "no such successful attack"),
        (lead, {"text": "  "}, "Write the safe answer"),
        (lead, {"from_candidate_id": harmful}, "itself marked as a successful attack"),
        (lead, {"text": "No.", "from_candidate_id": safe.id}, "not both"),
    ]:
        with pytest.raises(RankLabError, match=message):
            save(user, role="lead" if user == lead else "trainer", **{"from_candidate_id": None, **fields})
    assert SafeAnswer.objects.count() == 2


def test_the_safe_answer_form_saves_and_comes_back_to_the_filtered_list(client, attacked, red_team):
    comparison = attacked["comparisons"][0]
    [harmful] = attacked_ids(comparison)
    client.force_login(attacked["bob"])
    response = client.post(
        reverse("redteam_safe_answer", args=[red_team.slug]),
        {"harmful": harmful, "text": "<script>alert(1)</script>No, I can't help.", "category": "malware"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/red-team/?category=malware")
    page = client.get(response["Location"]).content.decode()
    assert "No, I can't help." in page.replace("&#x27;", "'") and "<script>alert(1)</script>" not in page
    assert SafeAnswer.objects.get().text == "<script>alert(1)</script>No, I can't help."


@pytest.mark.parametrize("name", ["redteam_attacks", "redteam_safe_answer"])
def test_a_user_of_another_project_gets_404(outsider_client, red_team, name):
    url = reverse(name, args=[red_team.slug])
    if name == "redteam_attacks":
        assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, {"harmful": 1, "text": "x"}).status_code == 404
