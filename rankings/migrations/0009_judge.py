"""A project's AI judge, and its rankings kept apart from trainers' (rankings/judging.py)."""

import django.core.validators
import django.db.models.deletion
import rankings.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('labeler', '0013_queue_order_and_score'),
        ('rankings', '0008_ranking_strengths'),
    ]

    operations = [
        migrations.CreateModel(
            name='Judge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('base_url', models.URLField(help_text="The server's /v1 URL.", max_length=500, verbose_name='base URL')),
                ('model', models.CharField(max_length=200)),
                ('api_key_env', models.CharField(blank=True, help_text='Name of the environment variable that holds the key; the key itself is never stored.', max_length=100, verbose_name='API key environment variable')),
                ('prompt', models.TextField(default=rankings.models.default_judge_prompt, help_text='Placeholders: {conversation}, {answers} (required), {labels}, {example}.')),
                ('mode', models.CharField(choices=[('list', 'Rank all candidates at once'), ('pairs', 'Judge each pair of candidates')], default='list', max_length=10)),
                ('max_tokens', models.PositiveIntegerField(default=64, validators=[django.core.validators.MinValueValidator(1)])),
                ('timeout_seconds', models.FloatField(default=60.0, validators=[django.core.validators.MinValueValidator(0.1)])),
                ('is_active', models.BooleanField(default=True, help_text='Judge new comparisons, and those not judged yet.')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='judge', to='labeler.project')),
            ],
        ),
        migrations.CreateModel(
            name='JudgeRanking',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('pending', 'Waiting to be judged'), ('done', 'Judged'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('mode', models.CharField(blank=True, choices=[('list', 'Rank all candidates at once'), ('pairs', 'Judge each pair of candidates')], max_length=10)),
                ('model_name', models.CharField(blank=True, max_length=200)),
                ('tiers', models.JSONField(blank=True, null=True)),
                ('pairs', models.JSONField(blank=True, default=list)),
                ('runs', models.JSONField(blank=True, default=list)),
                ('swap_consistent', models.BooleanField(blank=True, null=True)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('next_try_at', models.DateTimeField(blank=True, null=True)),
                ('judged_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('comparison', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='judge_ranking', to='labeler.comparison')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='labeler.project')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['next_try_at'], name='judge_ranking_due_idx'), models.Index(fields=['project', 'status'], name='judge_ranking_project_idx'), models.Index(fields=['project', '-judged_at'], name='judge_ranking_judged_idx')],
            },
        ),
    ]
