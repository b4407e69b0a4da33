import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('labeler', '0004_chat'),
    ]

    operations = [
        migrations.CreateModel(
            name='ModerationEndpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('base_url', models.URLField(help_text="The server's /v1 URL, e.g. https://api.openai.com/v1.", max_length=500)),
                ('model', models.CharField(default='omni-moderation-latest', max_length=200)),
                ('api_key_env', models.CharField(blank=True, help_text='Name of the environment variable that holds the key; the key itself is never stored.', max_length=100, verbose_name='API key environment variable')),
                ('timeout_seconds', models.FloatField(default=30.0, validators=[django.core.validators.MinValueValidator(0.1)])),
                ('is_active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='moderation_endpoint', to='labeler.project')),
            ],
        ),
    ]
