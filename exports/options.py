"""Export options: the one declaration of an export's pair expansion, margin and filters.

`ExportOptions` is what the pipeline (`exports.formats.export_lines`) is given. Each of its
fields carries an `Option` spec, and the export form, the pipeline API's query and
`manage.py export` build their fields from `OPTIONS`, so a new filter is one field here (and
its test in `keep_row`). Pure: no Django.
"""

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from datetime import date
from typing import Any

from ranklab.errors import RankLabError

EXPANSIONS = ("consensus", "individual", "best_vs_rest")
FLAG_MODES = {"any": "any trainer set it", "most": "most trainers set it"}
AI_JUDGEMENTS = {
    "none": "leave them out",
    "separate": "as rows of their own, each row marked `source`: ai or human",
    "fill": "only for comparisons no trainer ranked (rows marked `source`)",
}
NONE_ACCEPTABLE = {
    "leave_out": "leave them out",
    "keep_marked": "keep them, marked (`none_acceptable` on each trl and hh line)",
}


@dataclass(frozen=True)
class Option:
    """One option as the form, the API and the command offer it."""

    name: str
    type: type  # bool, int, float, str or date
    default: Any  # what the form and the command start from; None: nothing
    is_filter: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # (value, the form's label)
    minimum: int | None = None
    maximum: int | None = None
    invalid: str = "{name} is one of {choices}."
    form_help: str = ""
    api_help: str = ""
    cli_help: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _spec(type: type, **spec: Any) -> dict:
    """A field's metadata: how the surfaces offer it; `offered` is what they start from, when not the default."""
    return {"option": {"type": type, **spec}}


@dataclass(frozen=True, kw_only=True)
class ExportOptions:
    """How an export expands pairs and which comparisons it keeps; a filter at its default is not set."""

    expansion: str = field(
        default="consensus",
        metadata=_spec(
            str,
            is_filter=False,
            choices=tuple((name, name.replace("_", " ")) for name in EXPANSIONS),
            invalid="Unknown pair expansion; choose one of {choices}.",
            form_help="Which preference pairs: of the consensus, of each ranking, or the best against the rest.",
        ),
    )
    margin: bool = field(
        default=False,
        metadata=_spec(
            bool,
            is_filter=False,
            form_help="Add `margin` on every pair: the rank distance, or the trainers' preference strengths summed.",
        ),
    )
    # Rankings answer "which is better?" or, in red-team projects, "which is more harmful?": a
    # preference format mixes the two only when asked to, so no one trains one model on both by accident.
    mix_questions: bool = field(
        default=False,
        metadata=_spec(
            bool,
            is_filter=False,
            form_help="Allow pairs of helpfulness and of harmfulness rankings in one preference file.",
            api_help="allow helpfulness and harmfulness rankings in one preference format",
            cli_help="allow helpfulness and harmfulness rankings in one preference format",
        ),
    )
    # The AI judge's rankings (rankings.models.JudgeRanking) are no trainer's: they leave only when asked.
    # Unset and "none" are one (`__post_init__`), so that exports from before this option, and forms
    # that leave it empty, read as they always have.
    ai_judgements: str | None = field(
        default=None,
        metadata=_spec(
            str,
            is_filter=False,
            choices=tuple(AI_JUDGEMENTS.items()),
            form_help="The AI judge's rankings: left out, as rows of their own, or where no trainer ranked.",
            api_help="none, or separate: the AI judge's rankings as rows of their own (`source`: ai); "
            "fill is for export files",
            cli_help="none, separate (the AI judge's rankings as rows of their own, `source`: ai) or fill "
            "(the judge's ranking only where no trainer ranked)",
        ),
    )
    min_rankings: int = field(default=0, metadata=_spec(int, minimum=0))
    min_agreement: float | None = field(default=None, metadata=_spec(float, minimum=0, maximum=1))
    exclude_flag: str | None = field(
        default=None,
        metadata=_spec(
            str,
            form_help="A flag key, e.g. harmful_advice.",
            cli_help="a flag key: leave out comparisons where trainers set it",
        ),
    )
    # Unset reads as "any". It is not "any" itself because the form and the command have always
    # stored the mode they offer and the API never did: both shapes must read back as written.
    exclude_flag_mode: str | None = field(
        default=None,
        metadata=_spec(str, offered="any", choices=tuple(FLAG_MODES.items())),
    )
    exclude_skipped: bool = field(default=False, metadata=_spec(bool))
    # Comparisons where most trainers found no candidate acceptable still rank their candidates;
    # unset, they become pairs like any other.
    none_acceptable: str | None = field(
        default=None,
        metadata=_spec(
            str,
            choices=tuple(NONE_ACCEPTABLE.items()),
            form_help="Comparisons where most trainers found none of the candidates acceptable.",
            api_help="leave_out, or keep_marked: a `none_acceptable` key on each trl and hh line",
            cli_help="leave_out, or keep_marked (a none_acceptable key on each trl and hh line)",
        ),
    )
    completed_after: date | None = field(
        default=None,
        metadata=_spec(date, api_help="completed on or after this day (UTC)", cli_help="YYYY-MM-DD, UTC"),
    )
    completed_before: date | None = field(
        default=None,
        metadata=_spec(date, api_help="completed before this day (UTC)", cli_help="YYYY-MM-DD, UTC"),
    )
    endpoint: str | None = field(
        default=None,
        metadata=_spec(
            str,
            form_help="Only candidates of this endpoint (its name).",
            api_help="only the candidates of this endpoint",
            cli_help="only the candidates of this endpoint (its name)",
        ),
    )
    # The data browser's filters as its query string: the export keeps the comparisons the browser
    # lists. It narrows the comparisons read (exports.services.comparisons_selected), not the rows.
    browser_filter: str | None = field(
        default=None,
        metadata=_spec(
            str,
            form_help="The comparisons the data browser lists with these filters (its “Export these” sets it).",
            api_help="a data browser query string, e.g. q=refund&flag=untruthful: only the comparisons it lists",
            cli_help="a data browser query string, e.g. 'q=refund&flag=untruthful'",
        ),
    )

    # Pair formats only (`exports.length`): verbosity that trainers reward becomes a model's habit.
    length_ratio_max: float | None = field(
        default=None,
        metadata=_spec(
            float,
            minimum=1,
            form_help="Pair formats: keep pairs whose longer answer is at most this many times as long as the shorter.",
            api_help="pair formats: keep pairs whose longer/shorter answer length (characters) is at most this",
            cli_help="pair formats: keep pairs whose longer/shorter answer length (characters) is at most this",
        ),
    )
    longer_chosen_share: float | None = field(
        default=None,
        metadata=_spec(
            float,
            minimum=0,
            maximum=1,
            form_help="Pair formats: leave out pairs so that the longer answer is chosen in this share, e.g. 0.5.",
            api_help="pair formats: leave out pairs so that the longer answer is chosen in this share (0..1)",
            cli_help="pair formats: leave out pairs so that the longer answer is chosen in this share, e.g. 0.5",
        ),
    )

    def __post_init__(self) -> None:
        if self.ai_judgements == "none":
            object.__setattr__(self, "ai_judgements", None)
        for option in OPTIONS:
            value = getattr(self, option.name)
            if value is None:
                continue
            if option.choices and value not in option.values:
                raise RankLabError(option.invalid.format(name=option.name, choices=", ".join(option.values)))
            if option.minimum is not None and value < option.minimum:
                raise RankLabError(f"{option.name} is at least {option.minimum}.")
            if option.maximum is not None and value > option.maximum:
                raise RankLabError(f"{option.name} is at most {option.maximum}.")

    @classmethod
    def from_values(cls, values: Mapping) -> "ExportOptions":
        """From a form's cleaned_data, a serializer's validated_data or a command's options; other keys are ignored."""
        chosen = {}
        for option in OPTIONS:
            value = values.get(option.name)
            # An empty field, an unticked box and a 0 are "not set", as they have always been stored.
            if value in (None, "", False):
                continue
            chosen[option.name] = _day(option.name, value) if option.type is date else value
        return cls(**chosen)

    @classmethod
    def from_json(cls, stored: Mapping) -> "ExportOptions":
        """From `Export.options` as `to_json` wrote it (older rows may lack keys)."""
        filters = stored.get("filters", {})
        if unknown := sorted(set(filters) - set(FILTERS)):
            raise RankLabError(f"Unknown filter {', '.join(unknown)}; the filters are {', '.join(FILTERS)}.")
        days = {name: _day(name, filters[name]) for name in _DAYS if filters.get(name) is not None}
        return cls(
            expansion=stored.get("expansion", "consensus"),
            margin=bool(stored.get("margin", False)),
            mix_questions=bool(stored.get("mix_questions", False)),
            ai_judgements=stored.get("ai_judgements"),
            **{**filters, **days},
        )

    def filters(self) -> dict:
        """The filters that are set, days as ISO text."""
        return {
            option.name: value.isoformat() if isinstance(value, date) else value
            for option in OPTIONS
            if option.is_filter and (value := getattr(self, option.name)) != _DEFAULTS[option.name]
        }

    def to_json(self) -> dict:
        """The shape `Export.options` and the manifests have always held; `mix_questions` and
        `ai_judgements` only when set."""
        shape = {"expansion": self.expansion, "margin": self.margin, "filters": self.filters()}
        if self.mix_questions:
            shape["mix_questions"] = True
        if self.ai_judgements:
            shape["ai_judgements"] = self.ai_judgements
        return shape


def _day(name: str, value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RankLabError(f"{name} is a day, YYYY-MM-DD, not {value!r}.") from None


def _declared(declared: Field) -> Option:
    spec = dict(declared.metadata["option"])
    return Option(name=declared.name, default=spec.pop("offered", declared.default), **spec)


OPTIONS = tuple(_declared(declared) for declared in fields(ExportOptions))
FILTERS = tuple(option.name for option in OPTIONS if option.is_filter)
_DEFAULTS = {declared.name: declared.default for declared in fields(ExportOptions)}
_DAYS = tuple(option.name for option in OPTIONS if option.type is date)
