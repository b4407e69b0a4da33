"""What labeler tells the apps above it, which it must not import: they connect in their `ready`."""

from django.dispatch import Signal

# Sent inside the transaction that made a comparison `ready` (its K candidates stored), with
# `comparison_id` and `project_id`, so an app above this one can act on the new candidates;
# work for later goes through `ranklab.background.enqueue_after_commit`.
comparison_sampled = Signal()
# Sent once an import's transaction commits (`project_id`): its messages and candidates are in.
conversations_imported = Signal()
