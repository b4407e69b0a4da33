from django.dispatch import Signal

# Sent inside the transaction that completed a comparison, with `comparison`.
comparison_completed = Signal()

# Sent inside the transaction that revised a trainer's ranking (rankings/revisions.py), with
# `ranking` (as revised) and `previous_tiers`.
ranking_revised = Signal()
