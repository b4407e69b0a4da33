from django.contrib import admin

from rankings.models import Adjudication, ProjectStats, Ranking


@admin.register(Ranking)
class RankingAdmin(admin.ModelAdmin):
    list_display = ["id", "comparison", "trainer", "none_acceptable", "duration_ms", "submitted_at"]
    list_filter = ["none_acceptable", "matches_display_order"]
    raw_id_fields = ["comparison", "trainer", "assignment"]


@admin.register(Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    list_display = ["comparison", "lead", "created_at"]
    raw_id_fields = ["comparison", "lead"]


@admin.register(ProjectStats)
class ProjectStatsAdmin(admin.ModelAdmin):
    list_display = ["project", "rankings_count", "computed_at"]
