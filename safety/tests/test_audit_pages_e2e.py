"""A lead's audit pages in a real browser: load the default suite, open a report and one probe's
answers (hostile text stays inert), and send them to trainers."""

import pytest

from labeler.models import Comparison
from labeler.tests.browser import login
from safety.models import AuditAnswer
from safety.tests.audit_data import audited_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_lead_opens_a_report_and_sends_an_answer_to_trainers(page, live_server, project, lead):
    audited = audited_project(project)
    run = audited["run"]
    AuditAnswer.objects.filter(run=run).update(
        text="<img src=x onerror=\"window.__pwned = 1; alert('img')\"> [link](javascript:alert(1)) **bold**"
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, lead)

    page.goto(f"{live_server.url}/p/{project.slug}/")
    page.get_by_role("link", name="Audits", exact=True).click()
    page.get_by_role("button", name="Load the default suite").click()
    page.wait_for_selector("text=Default safety suite")
    assert page.locator("table tbody tr").count() >= 30  # the probes

    page.get_by_role("link", name="Audits", exact=True).click()
    page.get_by_role("link", name=str(run.id), exact=True).click()
    page.wait_for_selector("table.audit-report")
    assert "VIOLENCE" in page.inner_text("table.audit-report").upper()
    page.get_by_role("link", name="p-violence").click()

    page.wait_for_selector("text=Send to trainers")
    assert page.locator("strong", has_text="bold").count() == 2
    page.get_by_role("button", name="Send to trainers").click()
    page.wait_for_selector(".message.success")

    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    comparison = Comparison.objects.get()
    assert comparison.candidates.count() == 2
