"""Settings for the test suite: the real PostgreSQL and Redis of this machine by default."""

import os

os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ranklab")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# The suite's model servers and webhook receivers listen on 127.0.0.1, on any free port.
os.environ.setdefault("RANKLAB_OUTBOUND_ALLOW", "127.0.0.1")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = DATA_DIR / "test-media"  # noqa: F405
