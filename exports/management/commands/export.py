import json
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exports.formats import EXPANSIONS, FLAG_MODES, FORMATS
from exports.models import Export
from exports.services import export_options, export_options_check, export_write
from labeler.errors import RankLabError
from labeler.models import Project


class Command(BaseCommand):
    help = "Write an export file of a project now, in this process, and print its manifest."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("--format", choices=FORMATS, default="trl")
        parser.add_argument("--expansion", choices=EXPANSIONS, default="consensus")
        parser.add_argument("--margin", action="store_true")
        parser.add_argument("--min-rankings", type=int, default=0)
        parser.add_argument("--min-agreement", type=float)
        parser.add_argument("--exclude-flag", help="a flag key: leave out comparisons where trainers set it")
        parser.add_argument("--exclude-flag-mode", choices=FLAG_MODES, default="any")
        parser.add_argument("--exclude-skipped", action="store_true")
        parser.add_argument("--completed-after", type=date.fromisoformat, help="YYYY-MM-DD, UTC")
        parser.add_argument("--completed-before", type=date.fromisoformat, help="YYYY-MM-DD, UTC")
        parser.add_argument("--endpoint", help="only the candidates of this endpoint (its name)")
        parser.add_argument("--user", help="recorded as the export's author")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project']!r}.")
        chosen = export_options(expansion=options["expansion"], margin=options["margin"], values=options)
        try:
            export_options_check(format=options["format"], options=chosen)
        except RankLabError as error:
            raise CommandError(str(error)) from error
        user = get_user_model().objects.filter(username=options["user"]).first() if options["user"] else None
        export = Export.objects.create(project=project, format=options["format"], options=chosen, created_by=user)
        self.stderr.write(f"Exporting {project.slug} as {options['format']} …")
        export = export_write(export_id=export.id)
        export.refresh_from_db()
        self.stdout.write(json.dumps(export.manifest, indent=2))
