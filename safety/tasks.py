"""Celery tasks of the safety loop: thin wrappers around its services (the top of the app).

Services enqueue these by name through `ranklab.background.enqueue_after_commit`.
"""
