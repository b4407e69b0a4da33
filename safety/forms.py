from django import forms

from labeler.models import ModelEndpoint, Project
from safety.audit_report import ThresholdsInvalid, thresholds_clean
from safety.models import AuditSuite


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
