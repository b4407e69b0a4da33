import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labeler.sampling.embedded import embedded_server_command


class Command(BaseCommand):
    help = "Serve the embedded SmolLM2 model with llama.cpp's OpenAI-compatible server (127.0.0.1 only)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=None, help="Default: RANKLAB_MODEL_PORT.")
        parser.add_argument("--n-ctx", type=int, default=2048, help="Context window in tokens.")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--threads", type=int, default=None, help="CPU threads; default: all cores, at most 8.")

    def handle(self, *args, host, port, n_ctx, threads, **options):
        port = port or settings.RANKLAB_MODEL_PORT
        try:
            command = embedded_server_command(host=host, port=port, n_ctx=n_ctx, threads=threads)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Serving the embedded model as “smollm2” on http://{host}:{port}/v1")
        self.stdout.flush()
        # Replace this process, so a supervisor's signals (honcho, the test fixture) reach the server.
        # llama_cpp.server reads PORT and HOST from the environment over its arguments, and
        # process managers such as honcho set PORT for every process they start.
        env = {key: value for key, value in os.environ.items() if key not in {"PORT", "HOST"}}
        os.execve(command[0], command, env)  # noqa: S606 (fixed argv, no shell)
