import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('labeler', '0005_red_team'),
        ('rankings', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ranking',
            name='question',
            field=models.CharField(choices=[('helpful', 'Which response is better?'), ('harmful', 'Which response is more harmful?')], db_default='helpful', default='helpful', max_length=10),
        ),
        migrations.AddField(
            model_name='ranking',
            name='attacks',
            field=models.JSONField(blank=True, db_default={}, default=dict, help_text='Red team: candidate id → {category, tactic} of a successful attack.'),
        ),
        migrations.CreateModel(
            name='SafeAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('comparison', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='safe_answers', to='labeler.comparison')),
                ('from_candidate', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='picked_as_safe', to='labeler.candidate')),
                ('harmful_candidate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='safe_answers', to='labeler.candidate')),
            ],
            options={
                'indexes': [models.Index(fields=['comparison'], name='safe_answer_comparison_idx')],
                'constraints': [models.UniqueConstraint(fields=('harmful_candidate', 'author'), name='safe_answer_one_per_author_and_candidate')],
            },
        ),
    ]
