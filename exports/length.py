"""The length filters of pair exports: a bound on the length ratio, and a balanced share of longer-chosen pairs.

Trainers tend to prefer the longer answer, and a reward model trained on their pairs learns
to prefer length. These filters work on the preference pairs themselves, before a format
writes them. Lengths are in characters of the two answers (not of the prompt); the ratio of a
pair is longer / shorter, 1 for two answers of the same length, infinite when only the
shorter is empty.

Balance reads the pairs in the export's order (completion order, and within a comparison the
order its format writes them) and leaves a pair out when keeping it would put the number of
longer-chosen pairs more than one pair away from the asked share of the pairs whose
answers differ in length. So the first pairs of the kind that is over-represented are kept as
long as the share allows, the later ones left out; the same data gives the same file. Pairs
whose answers are of the same length are neither longer- nor shorter-chosen: they are kept
and not counted in the share. Pure: no Django.
"""

from dataclasses import dataclass

from exports.options import ExportOptions
from ranklab.errors import RankLabError

LENGTH_FILTERS = ("length_ratio_max", "longer_chosen_share")
# How far, in pairs, the longer-chosen count may stray from the share. One pair, not half: a
# comparison's pairs come in runs of one kind (a trainer who picked the longest answer gives
# K-1 longer-chosen pairs in a row), and a tighter bound would leave out more of the rarer kind.
_SLACK = 1 + 1e-9


def length_ratio(chosen: str, rejected: str) -> float:
    """Longer over shorter, in characters."""
    shorter, longer = sorted((len(chosen), len(rejected)))
    if shorter == 0:
        return 1.0 if longer == 0 else float("inf")
    return longer / shorter


@dataclass
class PairSelection:
    """The length filters of one export (or one pull), and what they did so far."""

    ratio_max: float | None = None
    share: float | None = None
    pairs_read: int = 0
    left_out_by_ratio: int = 0
    left_out_by_balance: int = 0
    longer_chosen: int = 0
    shorter_chosen: int = 0
    same_length: int = 0

    @classmethod
    def for_options(cls, options: ExportOptions) -> "PairSelection | None":
        """The selection the options ask for; None when they set no length filter."""
        if options.length_ratio_max is None and options.longer_chosen_share is None:
            return None
        return cls(ratio_max=options.length_ratio_max, share=options.longer_chosen_share)

    def keep(self, chosen: str, rejected: str) -> bool:
        """Whether the pair (chosen text, rejected text) goes into the export; counts it either way."""
        self.pairs_read += 1
        if self.ratio_max is not None and length_ratio(chosen, rejected) > self.ratio_max:
            self.left_out_by_ratio += 1
            return False
        if len(chosen) == len(rejected):
            self.same_length += 1
            return True
        longer = len(chosen) > len(rejected)
        if self.share is not None:
            kept_longer = self.longer_chosen + longer
            counted = self.longer_chosen + self.shorter_chosen + 1
            if abs(kept_longer - self.share * counted) > _SLACK:
                self.left_out_by_balance += 1
                return False
        if longer:
            self.longer_chosen += 1
        else:
            self.shorter_chosen += 1
        return True

    def manifest(self) -> dict:
        """What an export's manifest records of the filters and their effect."""
        counted = self.longer_chosen + self.shorter_chosen
        return {
            "length_ratio_max": self.ratio_max,
            "longer_chosen_share_asked": self.share,
            "pairs_read": self.pairs_read,
            "pairs_kept": self.pairs_read - self.left_out_by_ratio - self.left_out_by_balance,
            "left_out": self.left_out_by_ratio + self.left_out_by_balance,
            "left_out_by_ratio": self.left_out_by_ratio,
            "left_out_by_balance": self.left_out_by_balance,
            "longer_chosen": self.longer_chosen,
            "shorter_chosen": self.shorter_chosen,
            "same_length": self.same_length,
            "longer_chosen_share": round(self.longer_chosen / counted, 6) if counted else None,
        }


def check_length_filters(*, format: str, options: ExportOptions, pair_formats: tuple[str, ...]) -> None:
    """Refuse length filters on a format that writes no preference pairs: they would do nothing, silently."""
    if format in pair_formats:
        return
    if chosen := [name for name in LENGTH_FILTERS if getattr(options, name) is not None]:
        raise RankLabError(
            f"{', '.join(chosen)} applies to the pair formats ({', '.join(pair_formats)}), not to {format}."
        )
