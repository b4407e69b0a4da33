from django.core.validators import MinValueValidator
from django.db import models

from labeler.models import Project


class ModerationEndpoint(models.Model):
    """A project's content filter: an OpenAI-compatible `POST /v1/moderations` server."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="moderation_endpoint")
    base_url = models.URLField(max_length=500, help_text="The server's /v1 URL, e.g. https://api.openai.com/v1.")
    model = models.CharField(max_length=200, default="omni-moderation-latest")
    api_key_env = models.CharField(
        "API key environment variable",
        max_length=100,
        blank=True,
        help_text="Name of the environment variable that holds the key; the key itself is never stored.",
    )
    timeout_seconds = models.FloatField(default=30.0, validators=[MinValueValidator(0.1)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Moderation of {self.project} by {self.model}"
