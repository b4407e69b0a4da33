from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from labeler.importing import ImportFailed, conversations_import
from labeler.models import Project


class Command(BaseCommand):
    help = "Import conversations (JSONL or a JSON array) into a project; all of the file or nothing."

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("file", type=Path)

    def handle(self, *args, project: str, file: Path, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"There is no project {project!r}.")
        if not file.is_file():
            raise CommandError(f"There is no file {file}.")
        self.stderr.write(f"Validating {file} …")
        with file.open("rb") as source, tqdm(unit="conversation", desc="Writing", file=self.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                result = conversations_import(project=target, source=source, progress=progress)
            except ImportFailed as failure:
                lines = [str(problem) for problem in failure.problems]
                raise CommandError("\n".join([str(failure), *lines])) from failure
        self.stdout.write(self.style.SUCCESS(result.summary))
