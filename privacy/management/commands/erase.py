"""`manage.py erase SLUG --id EXTERNAL_ID | --search TEXT [--yes]`: the erasure page's preview and deletion."""

from django.core.management.base import BaseCommand, CommandError

from labeler.models import Project
from privacy.erasure import erasure_do, erasure_plan
from ranklab.errors import RankLabError


class Command(BaseCommand):
    help = "Erase conversations (and everything derived from them) by id or by a text they contain."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        found = parser.add_mutually_exclusive_group(required=True)
        found.add_argument("--id", dest="external_id", default="", help="a conversation's external id")
        found.add_argument("--search", default="", help="a text in the conversation's messages or candidates")
        parser.add_argument("--yes", action="store_true", help="erase; without it, only show what would go")

    def handle(self, *args, project: str, external_id: str, search: str, yes: bool, **options):
        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with the slug {project!r}.")
        try:
            plan = erasure_plan(project=found, external_id=external_id, search=search)
            self.stdout.write(f"{len(plan.conversation_ids)} conversation(s): {', '.join(plan.external_ids)}")
            for label, count in plan.counts.items():
                self.stdout.write(f"  {label}: {count}")
            for export in plan.exports:
                self.stdout.write(f"  to rebuild: export {export['id']} ({export['format']}, {export['finished_at']})")
            if not plan.conversation_ids:
                self.stdout.write("Nothing erased.")
                return
            if not yes:
                self.stdout.write("Nothing erased yet: add --yes to erase.")
                return
            erasure = erasure_do(project=found, user=None, token=plan.token, external_id=external_id, search=search)
        except RankLabError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Erased; recorded as erasure {erasure.id}.")
