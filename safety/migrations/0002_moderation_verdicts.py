import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('labeler', '0004_chat'),
        ('safety', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ModerationVerdict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('pending', 'Not checked yet'), ('checked', 'Checked'), ('unavailable', 'Unavailable, will be checked again')], default='pending', max_length=12)),
                ('flagged', models.BooleanField(blank=True, null=True)),
                ('categories', models.JSONField(blank=True, default=list, help_text='The categories the filter flagged, as it named them.')),
                ('scores', models.JSONField(blank=True, default=dict)),
                ('model_name', models.CharField(blank=True, max_length=200)),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.CharField(blank=True, max_length=300)),
                ('next_try_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('candidate', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='moderation_verdict', to='labeler.candidate')),
                ('comparison', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='moderation_verdicts', to='labeler.comparison')),
                ('message', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='moderation_verdict', to='labeler.message')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='labeler.project')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('status', 'checked'), _negated=True), fields=['next_try_at'], name='moderation_verdict_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('candidate__isnull', False), ('message__isnull', True)), models.Q(('candidate__isnull', True), ('message__isnull', False)), _connector='OR'), name='moderation_verdict_of_one_text')],
            },
        ),
        migrations.CreateModel(
            name='ModerationReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('judgement', models.CharField(choices=[('confirmed', 'The filter is right'), ('false_positive', 'Flagged but harmless'), ('false_negative', 'Missed: harmful')], max_length=20)),
                ('category', models.CharField(blank=True, max_length=40)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('trainer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('verdict', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='safety.moderationverdict')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('verdict', 'trainer'), name='moderation_review_one_per_trainer'), models.CheckConstraint(condition=models.Q(models.Q(('judgement', 'false_negative'), _negated=True), models.Q(('category', ''), _negated=True), _connector='OR'), name='moderation_review_missed_has_category')],
            },
        ),
    ]
