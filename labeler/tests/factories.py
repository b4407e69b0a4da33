import hashlib
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from labeler.models import (
    Assignment,
    Candidate,
    Comparison,
    Conversation,
    Membership,
    Message,
    ModelEndpoint,
    Project,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    k = 4
    overlap = 3


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    role = Membership.Role.TRAINER


class ModelEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelEndpoint

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"endpoint-{n}")
    base_url = "http://127.0.0.1:8001/v1"
    model = "smollm2"
    share = factory.LazyAttribute(lambda e: e.project.k)
    max_tokens = 48


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    project = factory.SubFactory(ProjectFactory)
    external_id = factory.Sequence(lambda n: f"conv-{n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    role = Message.Role.USER
    content = factory.Sequence(lambda n: f"Question number {n}?")


class ComparisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comparison
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    conversation = factory.SubFactory(ConversationFactory, project=factory.SelfAttribute("..project"))
    prompt_message = factory.SubFactory(MessageFactory, conversation=factory.SelfAttribute("..conversation"))
    status = Comparison.Status.READY

    @factory.post_generation
    def with_candidates(obj, create, extracted, **kwargs):
        """`ComparisonFactory(with_candidates=True)` adds K imported candidates."""
        if not (create and extracted):
            return
        for index in range(obj.project.k):
            text = f"Candidate answer {index} to comparison {obj.pk}."
            Candidate.objects.create(
                comparison=obj,
                sample_index=index,
                source=Candidate.Source.IMPORT,
                text=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    comparison = factory.SubFactory(ComparisonFactory)
    sample_index = factory.Sequence(lambda n: n % 9)
    text = factory.Sequence(lambda n: f"Candidate text {n}")
    content_hash = factory.LazyAttribute(lambda c: hashlib.sha256(c.text.encode()).hexdigest())


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    comparison = factory.SubFactory(ComparisonFactory)
    trainer = factory.SubFactory(UserFactory)
    display_order = factory.LazyAttribute(lambda a: list(a.comparison.candidates.values_list("id", flat=True)))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))
