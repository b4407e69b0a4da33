from django.dispatch import Signal

# Sent inside the transaction that made a comparison `ready` (its K candidates stored), with
# `comparison_id` and `project_id`, so an app above this one can act on the new candidates.
comparison_sampled = Signal()
