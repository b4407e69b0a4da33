from django.dispatch import Signal

# Sent inside the transaction that finished an audit run, with `run` (its report written).
audit_completed = Signal()
