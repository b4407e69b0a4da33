import json
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exports.formats import FORMATS, SCHEMA_VERSION
from exports.models import Export
from exports.options import OPTIONS, ExportOptions
from exports.services import export_check, export_write
from labeler.models import Project
from ranklab.errors import RankLabError


class Command(BaseCommand):
    help = "Write an export file of a project now, in this process, and print its manifest."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("--format", choices=FORMATS, default="trl")
        for option in OPTIONS:
            if option.type is bool:
                parser.add_argument(option.flag, action="store_true", help=option.cli_help or None)
                continue
            parser.add_argument(
                option.flag,
                type=date.fromisoformat if option.type is date else option.type,
                choices=option.values or None,
                default=option.default,
                help=option.cli_help or None,
            )
        parser.add_argument("--user", help="recorded as the export's author")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project']!r}.")
        try:
            chosen = ExportOptions.from_values(options)
            export_check(project=project, format=options["format"], options=chosen)
        except RankLabError as error:
            raise CommandError(str(error)) from error
        user = get_user_model().objects.filter(username=options["user"]).first() if options["user"] else None
        export = Export.objects.create(
            project=project,
            format=options["format"],
            options=chosen.to_json(),
            created_by=user,
            schema_version=SCHEMA_VERSION,
        )
        self.stderr.write(f"Exporting {project.slug} as {options['format']} …")
        export = export_write(export_id=export.id)
        export.refresh_from_db()
        self.stdout.write(json.dumps(export.manifest, indent=2))
