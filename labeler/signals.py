"""What labeler tells the apps above it, which it must not import: they connect in their `ready`."""

from django.dispatch import Signal

# Sent once the transaction that stored a comparison's sampled candidates commits (`comparison_id`).
candidates_stored = Signal()
# Sent once an import's transaction commits (`project_id`): its messages and candidates are in.
conversations_imported = Signal()
