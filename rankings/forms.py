"""The lead's form for the project's AI judge."""

from django import forms

from labeler.sampling.forms import OutboundServiceFields, base_url_field
from rankings.models import Judge


class JudgeForm(OutboundServiceFields, forms.ModelForm):
    base_url = base_url_field(
        help_text="The API root of an OpenAI-compatible chat server, e.g. https://api.openai.com/v1."
    )

    class Meta:
        model = Judge
        fields = ["base_url", "model", "api_key_env", "mode", "prompt", "max_tokens", "timeout_seconds", "is_active"]
        labels = {"is_active": "Judge every ready comparison", "prompt": "Grading prompt"}
        help_texts = {
            "api_key_env": "Name of the environment variable with the key, e.g. OPENAI_API_KEY; "
            "it must end in _API_KEY. Leave empty for a local server without keys.",
            "mode": "Ranking all at once costs two requests per comparison; pairs cost two per pair of candidates.",
            "prompt": "{conversation}: the conversation; {answers}: the candidates under letters A, B, …; "
            "{labels}: the letters; {example}: a ranking of them as the reply should write it. "
            "The reply is read from its “Ranking:” line, e.g. “Ranking: B > A = C”.",
        }
        widgets = {"prompt": forms.Textarea(attrs={"rows": 14})}

    def clean_prompt(self) -> str:
        prompt = self.cleaned_data["prompt"]
        if "{answers}" not in prompt:
            raise forms.ValidationError("Put {answers} where the candidates go.")
        return prompt
