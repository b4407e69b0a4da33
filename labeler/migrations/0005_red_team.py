import labeler.harm
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('labeler', '0004_chat'),
    ]

    operations = [
        migrations.AddField(
            model_name='project',
            name='red_team',
            field=models.BooleanField(default=False, help_text='Red team: trainers try to make the model misbehave, and rank which response is more harmful.', verbose_name='red team'),
        ),
        migrations.AddField(
            model_name='project',
            name='harm_categories',
            field=models.JSONField(blank=True, default=labeler.harm.default_harm_categories),
        ),
    ]
