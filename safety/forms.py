from django import forms
from django.core.validators import URLValidator

from labeler.sampling.client import API_KEY_ENV_PATTERN
from ranklab.outbound import OutboundRefused, outbound_url_check
from safety.models import ModerationEndpoint


class ModerationEndpointForm(forms.ModelForm):
    base_url = forms.URLField(
        label="Base URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        assume_scheme="https",
        help_text="The API root of a server that answers POST /v1/moderations, e.g. https://api.openai.com/v1.",
    )

    class Meta:
        model = ModerationEndpoint
        fields = ["base_url", "model", "api_key_env", "timeout_seconds", "is_active"]
        labels = {"is_active": "Check candidates and user turns with this filter"}
        help_texts = {
            "api_key_env": "Name of the environment variable with the key, e.g. OPENAI_API_KEY; "
            "it must end in _API_KEY. Leave empty for a local server without keys.",
            "timeout_seconds": "How long one check may take before the verdict shows as unavailable.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["timeout_seconds"]
        field.min_value, field.max_value = 1, 120
        field.widget.attrs.update(min=1, max=120)

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

    def clean_timeout_seconds(self) -> float:
        timeout = self.cleaned_data["timeout_seconds"]
        if not 1 <= timeout <= 120:
            raise forms.ValidationError("Between 1 and 120 seconds.")
        return timeout
