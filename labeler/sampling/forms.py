from django import forms
from django.conf import settings
from django.core.validators import URLValidator

from labeler.models import ModelEndpoint, Project
from labeler.sampling.client import API_KEY_ENV_PATTERN
from ranklab.outbound import OutboundRefused, outbound_url_check

_MAX_STOP_SEQUENCES = 4


class OutboundServiceFields:
    """`base_url` and `api_key_env` of a form for a server the app calls on a lead's behalf."""

    def clean_api_key_env(self) -> str:
        name = self.cleaned_data["api_key_env"].strip()
        if name and not API_KEY_ENV_PATTERN.match(name):
            raise forms.ValidationError(
                "Write the variable's name in capitals, ending in _API_KEY, e.g. OPENAI_API_KEY."
            )
        return name

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"]
        try:
            outbound_url_check(url, what="The base URL")
        except OutboundRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return url


def base_url_field(*, help_text: str = "") -> forms.URLField:
    """The base URL of a server the app calls on a lead's behalf: http or https only."""
    return forms.URLField(
        label="Base URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        assume_scheme="https",
        help_text=help_text,
    )


class EndpointForm(OutboundServiceFields, forms.ModelForm):
    base_url = base_url_field()
    stop_text = forms.CharField(
        label="Stop sequences",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"One per line, at most {_MAX_STOP_SEQUENCES}; write \\n for a line break.",
    )

    field_order = [
        "name", "base_url", "model", "api_key_env", "system_prompt", "temperature", "top_p", "max_tokens",
        "stop_text", "seed_policy", "base_seed", "share", "max_concurrency", "timeout_seconds", "is_active",
    ]  # fmt: skip

    class Meta:
        model = ModelEndpoint
        fields = [
            "name", "base_url", "model", "api_key_env", "system_prompt", "temperature", "top_p",
            "max_tokens", "seed_policy", "base_seed", "share", "max_concurrency", "timeout_seconds", "is_active",
        ]  # fmt: skip
        widgets = {"system_prompt": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "api_key_env": "Name of the environment variable with the key, e.g. OPENAI_API_KEY; "
            "it must end in _API_KEY. Leave empty for a local server without keys.",
            "max_concurrency": "Most requests in flight to this endpoint at once, across all workers.",
            "timeout_seconds": "How long one request may take before it is retried.",
        }

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["stop_text"].initial = "\n".join(s.replace("\n", "\\n") for s in self.instance.stop or [])
        limits = {
            "temperature": (0, 2),
            "top_p": (0, 1),
            "max_tokens": (1, 32768),
            "share": (1, project.k),
            "max_concurrency": (1, 64),
            "timeout_seconds": (1, 600),
        }
        for name, (low, high) in limits.items():
            field = self.fields[name]
            field.min_value, field.max_value = low, high
            field.validators.append(_between(low, high))
            field.widget.attrs.update(min=low, max=high)
        self.fields[
            "share"
        ].help_text = f"How many of the {project.k} candidates per comparison this endpoint supplies."
        # The embedded model server's address as configured, read per form: never at import time.
        embedded = f"http://{settings.RANKLAB_MODEL_HOST}:{settings.RANKLAB_MODEL_PORT}/v1"
        self.fields[
            "base_url"
        ].help_text = f"The OpenAI-compatible API root, e.g. https://api.openai.com/v1 or {embedded}."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.project.endpoints.filter(name=name).exclude(id=self.instance.id).exists():
            raise forms.ValidationError("This project already has an endpoint with that name.")
        return name

    def clean_stop_text(self) -> list[str]:
        lines = [line.replace("\\n", "\n") for line in self.cleaned_data["stop_text"].splitlines() if line]
        if len(lines) > _MAX_STOP_SEQUENCES:
            raise forms.ValidationError(f"At most {_MAX_STOP_SEQUENCES} stop sequences.")
        return lines

    def endpoint_values(self) -> dict:
        """The cleaned values as keyword arguments for the model."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["stop"] = self.cleaned_data["stop_text"]
        return values


def _between(low: float, high: float):
    def check(value):
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(f"Between {low} and {high}.")

    return check
