"""The length filters of pair exports: a bound on the length ratio, and a balanced share of longer-chosen pairs.

Trainers tend to prefer the longer answer, and a reward model trained on their pairs learns
to prefer length. These filters work on the preference pairs themselves, before a format
writes them. Lengths are in characters of the two answers (not of the prompt); the ratio of a
pair is longer / shorter, 1 for two answers of the same length, infinite when only the
shorter is empty.

Balance reads the pairs in the export's order (completion order, and within a comparison the
order its format writes them). A pair is written when writing it keeps the number of
longer-chosen pairs within one pair of the asked share of the pairs counted; otherwise it is
held back, and written as soon as pairs of the other kind make room for it, the most recently
held first. A comparison's pairs come in runs of one kind (a trainer who picked the longest
answer gives K-1 longer-chosen pairs in a row), so holding back, rather than leaving out at
once, keeps the pairs of data that is balanced as a whole. At most `HELD_MOST` pairs are
held: beyond that the oldest held pair is left out, and those still held at the end are left
out. The same data gives the same file. Pairs whose answers are of the same length are
neither longer- nor shorter-chosen: they are written and not counted in the share. Pure: no
Django.
"""

from collections import deque
from dataclasses import dataclass, field

from exports.options import ExportOptions
from ranklab.errors import RankLabError

LENGTH_FILTERS = ("length_ratio_max", "longer_chosen_share")
# How far, in pairs, the longer-chosen count may stray from the share.
_SLACK = 1 + 1e-9
# Enough for runs of dozens of comparisons of one kind. Each held pair keeps its row alive, and
# thousands of rows alive make every garbage collection of a big export slower (5,000 cost a
# third more time than 256 in bench/export.py).
HELD_MOST = 256


@dataclass
class PairSelection:
    """The length filters of one export (or one pull), and what they did so far."""

    ratio_max: float | None = None
    share: float | None = None
    pairs_read: int = 0
    left_out_by_ratio: int = 0
    longer_chosen: int = 0
    shorter_chosen: int = 0
    same_length: int = 0
    # (pair, whether its chosen answer is the longer); a full deque drops its oldest by itself.
    held: deque = field(default_factory=lambda: deque(maxlen=HELD_MOST))

    @classmethod
    def for_options(cls, options: ExportOptions) -> "PairSelection | None":
        """The selection the options ask for; None when they set no length filter."""
        if options.length_ratio_max is None and options.longer_chosen_share is None:
            return None
        return cls(ratio_max=options.length_ratio_max, share=options.longer_chosen_share)

    def select(self, pairs: list[tuple]) -> list:
        """The pairs to write now, in order, of (pair, chosen length, rejected length) in characters: those
        given that pass, and any held that they make room for.

        One call per comparison, with the counts in locals: this runs for every pair of a million-pair export.
        """
        self.pairs_read += len(pairs)
        ratio_max, share, held = self.ratio_max, self.share, self.held
        longer_count, shorter_count, too_far = self.longer_chosen, self.shorter_chosen, 0
        written = []
        for pair, chosen, rejected in pairs:
            # longer / shorter > ratio_max, without dividing by an empty answer's zero.
            if ratio_max is not None and max(chosen, rejected) > ratio_max * min(chosen, rejected):
                too_far += 1
            elif chosen == rejected:
                self.same_length += 1
                written.append(pair)
            elif share is None:
                if chosen > rejected:
                    longer_count += 1
                else:
                    shorter_count += 1
                written.append(pair)
            elif abs(longer_count + (chosen > rejected) - share * (longer_count + shorter_count + 1)) > _SLACK:
                # Held pairs are all of the kind that did not fit: the other kind makes room for them.
                held.append((pair, chosen > rejected))
            else:
                if chosen > rejected:
                    longer_count += 1
                else:
                    shorter_count += 1
                written.append(pair)
                # The most recently held first: most often of this very comparison, so its lines stay together.
                while held and abs(longer_count + held[-1][1] - share * (longer_count + shorter_count + 1)) <= _SLACK:
                    held_pair, held_longer = held.pop()
                    if held_longer:
                        longer_count += 1
                    else:
                        shorter_count += 1
                    written.append(held_pair)
        self.longer_chosen, self.shorter_chosen = longer_count, shorter_count
        self.left_out_by_ratio += too_far
        return written

    def finish(self) -> None:
        """The end of the pairs: those still held are left out."""
        self.held.clear()

    @property
    def left_out_by_balance(self) -> int:
        """Pairs read and neither left out by the ratio, nor written, nor still held."""
        written = self.longer_chosen + self.shorter_chosen + self.same_length
        return self.pairs_read - self.left_out_by_ratio - written - len(self.held)

    def manifest(self) -> dict:
        """What an export's manifest records of the filters and their effect."""
        counted = self.longer_chosen + self.shorter_chosen
        left_out = self.left_out_by_ratio + self.left_out_by_balance
        return {
            "length_ratio_max": self.ratio_max,
            "longer_chosen_share_asked": self.share,
            "pairs_read": self.pairs_read,
            "pairs_kept": self.pairs_read - left_out,
            "left_out": left_out,
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
