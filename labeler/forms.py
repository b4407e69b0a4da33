from django import forms

from labeler.models import OVER_REFUSAL_FLAG, Assignment, Membership, Project
from labeler.projects import (
    flag_taxonomy_format,
    flag_taxonomy_parse,
    harm_categories_format,
    harm_categories_parse,
)
from labeler.rubric import default_rubric, rubric_format, rubric_parse
from labeler.strength import strength_margins_format, strength_margins_parse
from ranklab.errors import RankLabError


class ProjectForm(forms.ModelForm):
    flags = forms.CharField(
        label="Flag taxonomy",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="One flag per line, as `key: Label`. Trainers set flags per candidate.",
    )
    harm_category_lines = forms.CharField(
        label="Harm categories",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Red-team projects: one per line, as `key: Label`. A trainer names one for each successful attack.",
    )
    skip_reason_lines = forms.CharField(
        label="Skip reasons",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line: what a trainer may pick when skipping a comparison (they may also write their own).",
    )
    strength_margin_line = forms.CharField(
        label="Preference strength margins",
        required=False,
        help_text="With preference strength collected: the margins of slightly, clearly and much better, as three "
        "increasing positive numbers (e.g. 1, 2, 3). A pair export's `margin` sums them between two ranks.",
    )
    scenario_lines = forms.CharField(
        label="Chat scenarios",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Chat projects: one opening per line; a trainer may start a conversation from one.",
    )
    rubric_helpsteer2 = forms.BooleanField(
        label="Use HelpSteer2's rubric",
        required=False,
        help_text="Replace the rubric with HelpSteer2's five attributes, each 0–4: helpfulness, correctness, "
        "coherence, complexity, verbosity.",
    )
    rubric_json = forms.CharField(
        label="Rating rubric",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="Optional: attributes trainers rate each candidate on, as a JSON list of "
        '`{"key": "helpfulness", "label": "Helpfulness", "min": 0, "max": 4, "required": true, "guidance": "…"}`. '
        "Keys are lowercase letters, digits and underscores. Empty: no ratings.",
    )

    class Meta:
        model = Project
        fields = [
            "name", "kind", "red_team", "guidelines", "k", "overlap", "ties_allowed", "rationale_required",
            "length_words", "length_max_tokens", "length_resample_ratio",
            "lease_minutes", "queue_order", "revise_minutes", "system_prompt", "turn_limit", "length_preference_bar",
            "collect_strength",
        ]  # fmt: skip
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 12}), "system_prompt": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"k": "Between 2 and 9.", "overlap": "How many trainers rank each comparison."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flags"].initial = flag_taxonomy_format(self.instance.flag_taxonomy)
        self.fields["harm_category_lines"].initial = harm_categories_format(self.instance.harm_categories)
        self.fields["scenario_lines"].initial = "\n".join(self.instance.scenarios)
        self.fields["skip_reason_lines"].initial = "\n".join(self.instance.skip_reasons)
        self.fields["strength_margin_line"].initial = strength_margins_format(self.instance.strength_margins)
        self.fields["rubric_json"].initial = rubric_format(self.instance.rubric)
        # Only chat projects use it: a comparison project's form may leave it out.
        self.fields["turn_limit"].required = False
        # Older forms and scripts that leave it out keep the project's window.
        self.fields["revise_minutes"].required = False
        # Left out, the bar stays as it was (or the default).
        self.fields["length_preference_bar"].required = False
        # A form that leaves the queue order out (an older page, a script) keeps the project's.
        self.fields["queue_order"].required = False

    def clean_turn_limit(self) -> int:
        return (
            self.cleaned_data["turn_limit"] or self.instance.turn_limit or Project._meta.get_field("turn_limit").default
        )

    def clean_revise_minutes(self) -> int:
        value = self.cleaned_data["revise_minutes"]
        return self.instance.revise_minutes if value is None else value

    def clean_length_preference_bar(self) -> int:
        value = self.cleaned_data["length_preference_bar"]
        return self.instance.length_preference_bar if value is None else value

    def clean_queue_order(self) -> str:
        return self.cleaned_data["queue_order"] or self.instance.queue_order

    def clean_flags(self) -> list[dict]:
        try:
            return flag_taxonomy_parse(self.cleaned_data["flags"])
        except RankLabError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_harm_category_lines(self) -> list[dict]:
        try:
            categories = harm_categories_parse(self.cleaned_data["harm_category_lines"])
        except RankLabError as error:
            raise forms.ValidationError(str(error)) from error
        if not categories and self.data.get("red_team"):
            raise forms.ValidationError("A red-team project needs at least one harm category.")
        return categories or self.instance.harm_categories

    def clean(self) -> dict:
        cleaned = super().clean()
        flags = cleaned.get("flags")
        # Over-refusal is the other half of red-teaming: its flag is always offered there.
        if cleaned.get("red_team") and flags is not None and OVER_REFUSAL_FLAG["key"] not in {f["key"] for f in flags}:
            cleaned["flags"] = [*flags, dict(OVER_REFUSAL_FLAG)]
        return cleaned

    def clean_rubric_json(self) -> list[dict]:
        if self.cleaned_data.get("rubric_helpsteer2"):
            return default_rubric()
        if self.is_bound and "rubric_json" not in self.data:
            # A form that leaves the rubric out (an older page, a script) keeps the project's.
            return self.instance.rubric
        try:
            return rubric_parse(self.cleaned_data["rubric_json"])
        except RankLabError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_skip_reason_lines(self) -> list[str]:
        reasons = list(dict.fromkeys(line.strip() for line in self.cleaned_data["skip_reason_lines"].splitlines()))
        reasons = [reason for reason in reasons if reason]
        if not reasons:
            # Trainers always have a reason to pick: left empty, the list stays as it was.
            return self.instance.skip_reasons
        most = Assignment._meta.get_field("skip_reason").max_length
        if too_long := [reason for reason in reasons if len(reason) > most]:
            raise forms.ValidationError(
                f"A skip reason has at most {most} characters: “{too_long[0][:40]}…” is longer."
            )
        return reasons

    def clean_strength_margin_line(self) -> list[float]:
        text = self.cleaned_data["strength_margin_line"].strip()
        if not text:
            # Left out (an older page, a script), the margins stay as they were.
            return self.instance.strength_margins
        try:
            return strength_margins_parse(text)
        except RankLabError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_scenario_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["scenario_lines"].splitlines() if line.strip()]

    def save(self, commit: bool = True) -> Project:
        # `flags` and `scenario_lines` are not model fields: the ModelForm would leave them as they were.
        self.instance.flag_taxonomy = self.cleaned_data["flags"]
        self.instance.harm_categories = self.cleaned_data["harm_category_lines"]
        self.instance.scenarios = self.cleaned_data["scenario_lines"]
        self.instance.skip_reasons = self.cleaned_data["skip_reason_lines"]
        self.instance.strength_margins = self.cleaned_data["strength_margin_line"]
        self.instance.rubric = self.cleaned_data["rubric_json"]
        return super().save(commit=commit)

    def project_settings(self) -> dict:
        """The cleaned values as keyword arguments for the model."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["flag_taxonomy"] = self.cleaned_data["flags"]
        values["harm_categories"] = self.cleaned_data["harm_category_lines"]
        values["scenarios"] = self.cleaned_data["scenario_lines"]
        values["skip_reasons"] = self.cleaned_data["skip_reason_lines"]
        values["strength_margins"] = self.cleaned_data["strength_margin_line"]
        values["rubric"] = self.cleaned_data["rubric_json"]
        return values


class MembershipForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.TRAINER)


class InvitationForm(forms.Form):
    addresses = forms.CharField(
        label="E-mail addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "ana@example.org\nben@example.org,lead"}),
        help_text="One per line: an address, or an address, a comma and a role (trainer or lead).",
    )
    csv_file = forms.FileField(
        label="Or a CSV file",
        required=False,
        help_text="The same lines (address, optional role); a header row is allowed.",
    )
    role = forms.ChoiceField(
        label="Role, where a line names none", choices=Membership.Role.choices, initial=Membership.Role.TRAINER
    )

    MAX_CSV_BYTES = 1024 * 1024

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("csv_file")
        if upload is not None:
            if upload.size > self.MAX_CSV_BYTES:
                raise forms.ValidationError("The CSV file is over 1 MB: split it.")
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError("The CSV file is not UTF-8 text.") from error
            if cleaned.get("addresses", "").strip():
                raise forms.ValidationError("Paste a list or upload a file, not both.")
        else:
            cleaned["text"] = cleaned.get("addresses", "")
        return cleaned
