"""Create the demo project and its people; safe to run again (it changes nothing twice)."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from labeler.importing import conversations_import
from labeler.models import Membership, ModelEndpoint, Project

DEMO_PROMPTS = Path(__file__).resolve().parents[2] / "fixtures" / "demo_prompts.jsonl"
DEMO_SLUG = "demo"
CHAT_SLUG = "demo-chat"
CHAT_SCENARIOS = [
    "I want to start running. Help me plan my first month.",
    "Explain to me how vaccines work, as if I were twelve.",
    "Help me write a polite e-mail asking my landlord to fix the heating.",
]
DEMO_PEOPLE = [
    ("lead", "ranklab-lead", Membership.Role.LEAD),
    ("trainer1", "ranklab-trainer1", Membership.Role.TRAINER),
    ("trainer2", "ranklab-trainer2", Membership.Role.TRAINER),
]
# A superuser for Django's admin (/admin/): it belongs to no project, as an administrator need not rank.
DEMO_ADMIN = ("demo-admin", "ranklab-admin")
DEMO_GUIDELINES = """\
Rank the candidate answers from **best** to **worst** for the last user message.

1. **Helpful**: does it do what was asked, completely and clearly?
2. **Honest**: is it true? A question built on a false premise deserves a correction, not an invented answer.
3. **Harmless**: it refuses what is really dangerous, and only that. A needless refusal is a flaw too.

Put two answers in one tier (a tie) only when you cannot tell them apart.
Flag every problem you see, even on the best answer. Skip when you cannot judge.
"""


class Command(BaseCommand):
    help = "Create the demo project, a lead, two trainers and an administrator, and import the demo prompts."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo accounts have well-known passwords: not in production.")
        with transaction.atomic():
            users = {key: self._user(username, password) for key, (username, password, _) in self._people()}
            admin = self._user(DEMO_ADMIN[0], DEMO_ADMIN[1])
            if not (admin.is_staff and admin.is_superuser):
                admin.is_staff = admin.is_superuser = True
                admin.save(update_fields=["is_staff", "is_superuser"])
            project, _ = Project.objects.get_or_create(
                slug=DEMO_SLUG,
                defaults={"name": "Demo: everyday assistant", "guidelines": DEMO_GUIDELINES, "k": 4, "overlap": 2},
            )
            users["lead"].user_permissions.add(Permission.objects.get(codename="add_project"))
            chat, _ = Project.objects.get_or_create(
                slug=CHAT_SLUG,
                defaults={
                    "name": "Demo: chat with the model",
                    "kind": Project.Kind.CHAT,
                    "guidelines": DEMO_GUIDELINES,
                    "k": 3,
                    "overlap": 1,
                    "system_prompt": "You are a helpful assistant.",
                    "scenarios": CHAT_SCENARIOS,
                    "turn_limit": 6,
                },
            )
            for demo in (project, chat):
                for key, (_, _, role) in self._people():
                    Membership.objects.get_or_create(project=demo, user=users[key], defaults={"role": role})
                self._embedded_model(demo)
        with DEMO_PROMPTS.open("rb") as source:
            result = conversations_import(project=project, source=source, user=users["lead"])
        self.stdout.write(self.style.SUCCESS(f"Demo project “{project.name}”: {result.summary}"))
        self.stdout.write(self.style.SUCCESS(f"Demo project “{chat.name}”: trainers hold conversations there"))
        self.stdout.write(f"Log in at http://127.0.0.1:{settings.RANKLAB_WEB_PORT}/ as:")
        for _, (username, password, role) in self._people():
            self.stdout.write(f"  {role:<8} {username} / {password}")
        self.stdout.write(
            f"  {'admin':<8} {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}  (http://127.0.0.1:{settings.RANKLAB_WEB_PORT}/admin/)"
        )

    def _embedded_model(self, project: Project) -> None:
        ModelEndpoint.objects.get_or_create(
            project=project,
            name="SmolLM2 (embedded)",
            defaults={
                "base_url": f"http://{settings.RANKLAB_MODEL_HOST}:{settings.RANKLAB_MODEL_PORT}/v1",
                "model": "smollm2",
                "system_prompt": "You are a helpful assistant.",
                "temperature": 0.9,
                "max_tokens": 160,
                "share": project.k,
                "max_concurrency": 1,
            },
        )

    def _people(self):
        return [(key, (f"demo-{key}", password, role)) for key, password, role in DEMO_PEOPLE]

    def _user(self, username: str, password: str):
        user, _ = get_user_model().objects.get_or_create(username=username)
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
