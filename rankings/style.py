"""An answer's style as the statistics take it: the covariates of style-controlled Bradley–Terry.

The measure itself is ranklab/answer_style.py, below labeler, which stores each candidate's style
when the candidate is stored.
"""

from ranklab.answer_style import COVARIATES, Style, style_of

__all__ = ["COVARIATES", "Style", "style_of"]
