from django import forms

from labeler.models import Membership, Project
from labeler.projects import flag_taxonomy_format, flag_taxonomy_parse
from ranklab.errors import RankLabError


class ProjectForm(forms.ModelForm):
    flags = forms.CharField(
        label="Flag taxonomy",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="One flag per line, as `key: Label`. Trainers set flags per candidate.",
    )

    class Meta:
        model = Project
        fields = ["name", "kind", "guidelines", "k", "overlap", "ties_allowed", "rationale_required", "lease_minutes"]
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 12})}
        help_texts = {"k": "Between 2 and 9.", "overlap": "How many trainers rank each comparison."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flags"].initial = flag_taxonomy_format(self.instance.flag_taxonomy)

    def clean_flags(self) -> list[dict]:
        try:
            return flag_taxonomy_parse(self.cleaned_data["flags"])
        except RankLabError as error:
            raise forms.ValidationError(str(error)) from error

    def save(self, commit: bool = True) -> Project:
        # `flags` is not a model field: the ModelForm would leave the taxonomy as it was.
        self.instance.flag_taxonomy = self.cleaned_data["flags"]
        return super().save(commit=commit)

    def project_settings(self) -> dict:
        """The cleaned values as keyword arguments for the model."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["flag_taxonomy"] = self.cleaned_data["flags"]
        return values


class MembershipForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.TRAINER)
