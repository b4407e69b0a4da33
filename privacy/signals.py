"""What privacy asks the apps above it, which it must not import: they connect in their `ready`."""

from django.dispatch import Signal

# Sent with `project_id` and `since` (the earliest completion among the comparisons an erasure
# removes, or None): each receiver returns the finished files that may hold them, as dicts with
# `id`, `format` and `finished_at`.
exports_holding = Signal()

# Sent with `project_id` inside the erasure's transaction, once its conversations are deleted: what
# was computed from their rankings (the statistics) is out of date.
conversations_erased = Signal()
