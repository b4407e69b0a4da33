from django.contrib import admin

from labeler.models import (
    Assignment,
    Candidate,
    Comparison,
    Conversation,
    Invitation,
    Membership,
    Message,
    ModelEndpoint,
    Project,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "k", "overlap", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "paused_at", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "project"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "project", "role", "sent_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    raw_id_fields = ["project", "invited_by", "accepted_by"]
    # Only the link's hash is stored; new links come from the members page, which mails them.
    readonly_fields = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "model", "base_url", "share", "is_active"]
    list_filter = ["is_active"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["external_id", "project", "created_at"]
    search_fields = ["external_id"]
    raw_id_fields = ["project", "created_by"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "conversation", "role", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["conversation", "parent", "author"]


class CandidateInline(admin.StackedInline):
    model = Candidate
    extra = 0
    raw_id_fields = ["endpoint"]


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "status", "rankings_count", "is_gold", "created_at"]
    list_filter = ["status", "is_gold"]
    raw_id_fields = ["project", "conversation", "prompt_message"]
    inlines = [CandidateInline]


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["id", "comparison", "sample_index", "source", "model_name", "finish_reason", "is_duplicate"]
    list_filter = ["source", "is_duplicate", "finish_reason"]
    raw_id_fields = ["comparison", "endpoint"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "comparison", "trainer", "status", "started_at", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["comparison", "trainer"]
