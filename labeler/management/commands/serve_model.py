import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labeler.sampling.embedded import embedded_server_command


class Command(BaseCommand):
    help = "Serve the embedded SmolLM2 model with llama.cpp's OpenAI-compatible server (127.0.0.1 only)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=None, help="Default: RANKLAB_MODEL_PORT.")
        parser.add_argument("--n-ctx", type=int, default=2048, help="Context window in tokens.")
        parser.add_argument("--threads", type=int, default=None, help="CPU threads; default: all cores, at most 8.")

    def handle(self, *args, port, n_ctx, threads, **options):
        port = port or settings.RANKLAB_MODEL_PORT
        try:
            command = embedded_server_command(host="127.0.0.1", port=port, n_ctx=n_ctx, threads=threads)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Serving the embedded model as “smollm2” on http://127.0.0.1:{port}/v1")
        self.stdout.flush()
        # Replace this process, so a supervisor's signals (honcho, the test fixture) reach the server.
        os.execv(command[0], command)  # noqa: S606 (fixed argv, no shell)
