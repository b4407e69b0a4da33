from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from labeler.importing import ImportFailed, conversations_import, rejects_report
from labeler.models import Project
from labeler.parsing import ImportOptions


class Command(BaseCommand):
    help = (
        "Import conversations (JSONL, a JSON array or Parquet) into a project; all of the file or nothing, "
        "or with --skip-invalid its valid records and a report of the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="the project's slug")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid records and write the invalid ones to the reject report",
        )
        parser.add_argument(
            "--reject-report",
            type=Path,
            help="where --skip-invalid writes the reject report (default: FILE.rejects.jsonl)",
        )
        parser.add_argument(
            "--keep-unanswered",
            action="store_true",
            help="keep HH transcripts that end with a Human turn, as prompts to sample replies for",
        )

    def handle(self, *args, project: str, file: Path, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"There is no project {project!r}.")
        if not file.is_file():
            raise CommandError(f"There is no file {file}.")
        chosen = ImportOptions(skip_invalid=options["skip_invalid"], keep_unanswered=options["keep_unanswered"])
        self.stderr.write(f"Validating {file} …")
        with file.open("rb") as source, tqdm(unit="conversation", desc="Writing", file=self.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                result = conversations_import(project=target, source=source, progress=progress, options=chosen)
            except ImportFailed as failure:
                lines = [str(problem) for problem in failure.problems]
                raise CommandError("\n".join([str(failure), *lines])) from failure
        for note in result.notes:
            self.stderr.write(f"{note}")
        if result.rejects:
            report = options["reject_report"] or file.with_name(file.name + ".rejects.jsonl")
            report.write_bytes(rejects_report(result.rejects))
            for reject in result.rejects:
                self.stderr.write(f"skipped {reject.problem}")
            self.stderr.write(f"The reject report is {report}.")
        self.stdout.write(self.style.SUCCESS(result.summary))
