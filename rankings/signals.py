from django.dispatch import Signal

# Sent inside the transaction that completed a comparison, with `comparison`.
comparison_completed = Signal()
