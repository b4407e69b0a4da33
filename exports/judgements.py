"""The AI judge's rankings in an export, only when asked (`ExportOptions.ai_judgements`).

- `separate`: after each comparison's native row (marked `source`: human) comes a row of its
  own for the judge's ranking (`source`: ai), if it has one: the same comparison, its
  `rankings` the judge's alone and its `consensus` the judge's ranking.
- `fill`: the judge's row stands in only for a comparison that no trainer ranked (such a
  comparison is selected although it never completes); every other row is the trainers'.

The judge's row is a native row like any other, so every format and filter reads it the same
way; its ranking has the fields of a trainer's, with `annotator` "ai-judge", `source` ai, the
`model`, whether the two orders agreed (`swap_consistent`) and each order's reading (`runs`).
"""

from collections.abc import Iterable, Iterator
from itertools import islice

from labeler.models import HELPFUL
from rankings.models import JudgeRanking

AI_ANNOTATOR = "ai-judge"
_CHUNK = 1000


class AiJudgements:
    """Adds the judge's rows to native rows and counts what it wrote, for the manifest."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.ai_rows = 0
        self.human_rows = 0

    def rows(self, rows: Iterable[dict]) -> Iterator[dict]:
        rows = iter(rows)
        while chunk := list(islice(rows, _CHUNK)):
            judged = {
                judgement.comparison_id: judgement
                for judgement in JudgeRanking.objects.filter(
                    comparison_id__in=[row["comparison_id"] for row in chunk], status=JudgeRanking.Status.DONE
                )
            }
            for row in chunk:
                judgement = judged.get(row["comparison_id"])
                if row["rankings"] or judgement is None:
                    self.human_rows += 1
                    yield {**row, "source": "human"}
                    if self.mode == "fill" or judgement is None:
                        continue
                self.ai_rows += 1
                yield ai_row(row, judgement)

    def manifest(self) -> dict:
        return {"mode": self.mode, "ai_rows": self.ai_rows, "human_rows": self.human_rows}


def ai_row(row: dict, judgement: JudgeRanking) -> dict:
    """The comparison's native row with the judge's ranking in place of the trainers'."""
    ranking = {
        "annotator": AI_ANNOTATOR,
        "source": "ai",
        "model": judgement.model_name,
        "mode": judgement.mode,
        "tiers": judgement.tiers,
        "display_order": judgement.runs[0]["order"] if judgement.runs else [],
        "flags": {},
        "rationale": "",
        "none_acceptable": False,
        "duration_ms": 0,
        "matches_display_order": False,
        "submitted_at": judgement.judged_at.isoformat() if judgement.judged_at else None,
        # The judge is asked which answer is best, never which is most harmful.
        "question": HELPFUL,
        "attacks": {},
        "swap_consistent": judgement.swap_consistent,
        "runs": [{"order": run["order"], "tiers": run["tiers"]} for run in judgement.runs],
    }
    return {
        **row,
        "source": "ai",
        "rankings": [ranking],
        "skips": 0,
        "consensus": judgement.tiers,
        "consensus_method": "ai_judge",
        "agreement": None,
        "agreement_figures": None,
        "none_acceptable": False,
        "safe_answers": [],
    }
