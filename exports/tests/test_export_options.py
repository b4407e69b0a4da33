"""The export options: one declaration, read the same by the form, the API and the command."""

from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from exports.api import PullParams
from exports.management.commands.export import Command
from exports.options import FILTERS, OPTIONS, ExportOptions
from exports.views import ExportForm
from ranklab.errors import RankLabError

EVERYTHING = ExportOptions(
    expansion="individual",
    margin=True,
    mix_questions=True,
    min_rankings=2,
    min_agreement=0.5,
    exclude_flag="untruthful",
    exclude_flag_mode="most",
    exclude_skipped=True,
    none_acceptable="leave_out",
    completed_after=date(2026, 11, 1),
    completed_before=date(2026, 12, 1),
    endpoint="a",
    length_ratio_max=2.5,
    longer_chosen_share=0.5,
    browser_filter="q=refund&flag=untruthful",
)
# The same choice as text, as a browser, a pipeline and a shell send it.
TYPED = {
    "expansion": "individual",
    "margin": "true",
    "mix_questions": "true",
    "min_rankings": "2",
    "min_agreement": "0.5",
    "exclude_flag": "untruthful",
    "exclude_flag_mode": "most",
    "exclude_skipped": "true",
    "none_acceptable": "leave_out",
    "completed_after": "2026-11-01",
    "completed_before": "2026-12-01",
    "endpoint": "a",
    "length_ratio_max": "2.5",
    "longer_chosen_share": "0.5",
    "browser_filter": "q=refund&flag=untruthful",
}


def test_the_json_is_the_shape_exports_have_always_stored():
    assert EVERYTHING.to_json() == {
        "expansion": "individual",
        "margin": True,
        "mix_questions": True,
        "filters": {
            "min_rankings": 2,
            "min_agreement": 0.5,
            "exclude_flag": "untruthful",
            "exclude_flag_mode": "most",
            "exclude_skipped": True,
            "none_acceptable": "leave_out",
            "completed_after": "2026-11-01",
            "completed_before": "2026-12-01",
            "endpoint": "a",
            "length_ratio_max": 2.5,
            "longer_chosen_share": 0.5,
            "browser_filter": "q=refund&flag=untruthful",
        },
    }
    assert ExportOptions().to_json() == {"expansion": "consensus", "margin": False, "filters": {}}


@pytest.mark.parametrize(
    "stored",
    [
        {"expansion": "consensus", "margin": False, "filters": {}},
        {"expansion": "consensus", "margin": True, "filters": {"min_rankings": 1, "exclude_flag_mode": "any"}},
        {"expansion": "best_vs_rest", "margin": False, "filters": {"exclude_flag": "harmful_advice"}},
        EVERYTHING.to_json(),
    ],
)
def test_a_stored_row_reads_back_and_writes_out_unchanged(stored):
    assert ExportOptions.from_json(stored).to_json() == stored


def test_an_older_row_without_keys_reads_as_the_defaults():
    assert ExportOptions.from_json({}) == ExportOptions()
    assert ExportOptions.from_json({"margin": True}) == ExportOptions(margin=True)
    assert ExportOptions.from_json(EVERYTHING.to_json()) == EVERYTHING


EXPANSION = "Unknown pair expansion; choose one of consensus, individual, best_vs_rest."


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ExportOptions(expansion="pairs"), EXPANSION),
        (lambda: ExportOptions.from_json({"expansion": "pairs"}), EXPANSION),
        (lambda: ExportOptions(exclude_flag_mode="all"), "exclude_flag_mode is one of any, most."),
        (lambda: ExportOptions(min_rankings=-1), "min_rankings is at least 0."),
        (lambda: ExportOptions(none_acceptable="drop"), "none_acceptable is one of leave_out, keep_marked."),
        (lambda: ExportOptions(min_agreement=1.5), "min_agreement is at most 1."),
        (lambda: ExportOptions(length_ratio_max=0.5), "length_ratio_max is at least 1."),
        (lambda: ExportOptions(longer_chosen_share=1.2), "longer_chosen_share is at most 1."),
        (
            lambda: ExportOptions.from_values({"completed_after": "soon"}),
            "completed_after is a day, YYYY-MM-DD, not 'soon'.",
        ),
        (
            lambda: ExportOptions.from_json({"filters": {"colour": "red"}}),
            f"Unknown filter colour; the filters are {', '.join(FILTERS)}.",
        ),
    ],
)
def test_each_bad_value_raises_with_a_message_a_lead_can_act_on(build, message):
    with pytest.raises(RankLabError) as raised:
        build()
    assert str(raised.value) == message


def test_an_empty_field_a_zero_or_an_unticked_box_is_not_a_filter():
    values = {"format": "trl", "min_rankings": 0, "min_agreement": None, "exclude_flag": "", "exclude_skipped": False}
    assert ExportOptions.from_values(values).filters() == {}


def test_days_may_arrive_as_dates_or_as_iso_text():
    assert ExportOptions.from_values({"completed_after": "2026-11-01"}) == ExportOptions.from_values(
        {"completed_after": date(2026, 11, 1)}
    )


def test_the_form_the_api_and_the_command_build_the_same_options_from_the_same_values():
    form = ExportForm({"format": "trl", **TYPED})
    assert form.is_valid(), form.errors
    query = PullParams(data=QueryDict(urlencode(TYPED)))
    assert query.is_valid(), query.errors
    arguments = []
    for name, value in TYPED.items():
        flag = "--" + name.replace("_", "-")
        arguments += [flag] if value == "true" else [flag, value]
    command = vars(Command().create_parser("manage.py", "export").parse_args(["some-project", *arguments]))
    assert form.options() == query.options() == ExportOptions.from_values(command) == EVERYTHING


def test_every_option_is_offered_by_the_form_the_api_and_the_command():
    names = [option.name for option in OPTIONS]
    parser = Command().create_parser("manage.py", "export")
    offered = {action.dest for action in parser._actions}
    assert [name for name in ExportForm().fields if name != "format"] == names
    assert [name for name in PullParams().fields if name not in ("format", "after", "limit")] == names
    assert set(names) <= offered


def test_every_filter_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "export-formats.md").read_text()
    assert [name for name in FILTERS if f"`{name}=" not in doc] == []
