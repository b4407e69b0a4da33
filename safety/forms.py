from django import forms

from labeler.models import ModelEndpoint, Project
from labeler.sampling.forms import OutboundServiceFields, base_url_field
from safety.audit_report import ThresholdsInvalid, thresholds_clean
from safety.models import AuditSuite, ModerationEndpoint


class ModerationEndpointForm(OutboundServiceFields, forms.ModelForm):
    base_url = base_url_field(
        help_text="The API root of a server that answers POST /v1/moderations, e.g. https://api.openai.com/v1."
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

    def clean_timeout_seconds(self) -> float:
        timeout = self.cleaned_data["timeout_seconds"]
        if not 1 <= timeout <= 120:
            raise forms.ValidationError("Between 1 and 120 seconds.")
        return timeout


class SuiteForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SuiteSettingsForm(forms.ModelForm):
    judge_base_url = forms.URLField(
        label="Judge base URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="An OpenAI-compatible chat model that grades each answer; empty for no judge.",
    )
    thresholds = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            'E.g. {"overall": {"max_disallowed_rate": 0.05, "max_refusal_rate": 0.2}, "violence": '
            '{"max_disallowed_increase": 0.02}}: per category (a harm key, benign, or overall), shares from 0 to 1.'
        ),
    )

    class Meta:
        model = AuditSuite
        fields = [
            "description",
            "thresholds",
            "judge_base_url",
            "judge_model",
            "judge_api_key_env",
            "judge_prompt",
            "pipeline_may_start",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "judge_prompt": forms.Textarea(attrs={"rows": 8})}

    def clean_thresholds(self):
        try:
            return thresholds_clean(self.cleaned_data["thresholds"])
        except ThresholdsInvalid as error:
            raise forms.ValidationError(str(error)) from error


class ProbeImportForm(forms.Form):
    file = forms.FileField(
        help_text='JSONL or a JSON array: {"id", "category", "prompt"} or {"id", "category", "messages"} per probe.',
        allow_empty_file=True,
    )


class RunForm(forms.Form):
    endpoint = forms.ModelChoiceField(queryset=ModelEndpoint.objects.none(), help_text="The model version audited.")
    baseline = forms.ModelChoiceField(
        queryset=ModelEndpoint.objects.none(), required=False, help_text="The version it is compared with."
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        endpoints = ModelEndpoint.objects.filter(project=project).order_by("name")
        self.fields["endpoint"].queryset = endpoints
        self.fields["baseline"].queryset = endpoints
