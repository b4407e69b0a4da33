"""The data browser's search reads ComparisonText: one narrow row per text of a comparison,
written by PostgreSQL triggers on candidates, messages and comparisons, with one GIN index.

It replaces the expression indexes on the candidate and message texts (0005): a search through
them read a heap row of the wide candidate table for every match. The triggers store the very
vector those indexes held, so a search matches exactly as before. Each comparison of a
conversation gets its own row per message, copied from a sibling row where one exists, so that a
search yields comparison ids directly. SQLite, the embedded default, has no triggers here.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


SEARCH_CONFIG = "english"  # as rankings/browse.py has it when this migration was written

TRIGGERS = f"""
CREATE FUNCTION comparison_text_of_candidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM rankings_comparisontext WHERE candidate_id = NEW.id;
    END IF;
    INSERT INTO rankings_comparisontext (comparison_id, candidate_id, document)
    VALUES (NEW.comparison_id, NEW.id, to_tsvector('{SEARCH_CONFIG}', COALESCE(NEW.text, '')));
    RETURN NULL;
END $$;

CREATE FUNCTION comparison_text_of_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM rankings_comparisontext WHERE message_id = NEW.id;
    END IF;
    INSERT INTO rankings_comparisontext (comparison_id, message_id, document)
    SELECT comparison.id, NEW.id, document.vector
    FROM labeler_comparison comparison,
         (SELECT to_tsvector('{SEARCH_CONFIG}', COALESCE(NEW.content, '')) AS vector) document
    WHERE comparison.conversation_id = NEW.conversation_id;
    RETURN NULL;
END $$;

CREATE FUNCTION comparison_text_of_comparison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM rankings_comparisontext WHERE comparison_id = NEW.id AND message_id IS NOT NULL;
    END IF;
    INSERT INTO rankings_comparisontext (comparison_id, message_id, document)
    SELECT NEW.id, message.id, COALESCE(
        (SELECT sibling.document FROM rankings_comparisontext sibling WHERE sibling.message_id = message.id LIMIT 1),
        to_tsvector('{SEARCH_CONFIG}', COALESCE(message.content, ''))
    )
    FROM labeler_message message
    WHERE message.conversation_id = NEW.conversation_id;
    RETURN NULL;
END $$;

CREATE TRIGGER comparison_text_candidate_inserted AFTER INSERT ON labeler_candidate
    FOR EACH ROW EXECUTE FUNCTION comparison_text_of_candidate();
CREATE TRIGGER comparison_text_candidate_updated AFTER UPDATE OF text, comparison_id ON labeler_candidate
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.comparison_id IS DISTINCT FROM NEW.comparison_id)
    EXECUTE FUNCTION comparison_text_of_candidate();
CREATE TRIGGER comparison_text_message_inserted AFTER INSERT ON labeler_message
    FOR EACH ROW EXECUTE FUNCTION comparison_text_of_message();
CREATE TRIGGER comparison_text_message_updated AFTER UPDATE OF content, conversation_id ON labeler_message
    FOR EACH ROW WHEN (OLD.content IS DISTINCT FROM NEW.content OR OLD.conversation_id IS DISTINCT FROM NEW.conversation_id)
    EXECUTE FUNCTION comparison_text_of_message();
CREATE TRIGGER comparison_text_comparison_inserted AFTER INSERT ON labeler_comparison
    FOR EACH ROW EXECUTE FUNCTION comparison_text_of_comparison();
CREATE TRIGGER comparison_text_comparison_updated AFTER UPDATE OF conversation_id ON labeler_comparison
    FOR EACH ROW WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id)
    EXECUTE FUNCTION comparison_text_of_comparison();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS comparison_text_candidate_inserted ON labeler_candidate;
DROP TRIGGER IF EXISTS comparison_text_candidate_updated ON labeler_candidate;
DROP TRIGGER IF EXISTS comparison_text_message_inserted ON labeler_message;
DROP TRIGGER IF EXISTS comparison_text_message_updated ON labeler_message;
DROP TRIGGER IF EXISTS comparison_text_comparison_inserted ON labeler_comparison;
DROP TRIGGER IF EXISTS comparison_text_comparison_updated ON labeler_comparison;
DROP FUNCTION IF EXISTS comparison_text_of_candidate();
DROP FUNCTION IF EXISTS comparison_text_of_message();
DROP FUNCTION IF EXISTS comparison_text_of_comparison();
"""

# The texts already written, before the triggers take over.
FILL = f"""
INSERT INTO rankings_comparisontext (comparison_id, candidate_id, document)
SELECT comparison_id, id, to_tsvector('{SEARCH_CONFIG}', COALESCE(text, '')) FROM labeler_candidate;
INSERT INTO rankings_comparisontext (comparison_id, message_id, document)
SELECT comparison.id, message.id, message.vector
FROM (SELECT id, conversation_id, to_tsvector('{SEARCH_CONFIG}', COALESCE(content, '')) AS vector FROM labeler_message) message
JOIN labeler_comparison comparison ON comparison.conversation_id = message.conversation_id;
"""

# The expression indexes of 0005 that the table replaces.
OLD_SEARCH_INDEXES = (
    ("labeler_message", "content", "browse_message_search_idx"),
    ("labeler_candidate", "text", "browse_candidate_search_idx"),
)


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL)
        schema_editor.execute(TRIGGERS)
        for _table, _column, index in OLD_SEARCH_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)
        for table, column, index in OLD_SEARCH_INDEXES:
            schema_editor.execute(
                f"CREATE INDEX {index} ON {table} USING gin (to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE({column}, '')))"
            )


class Migration(migrations.Migration):

    dependencies = [
        ('labeler', '0012_browse_indexes'),
        ('rankings', '0005_browse_search_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ComparisonText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document', django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RemoveIndex(
            model_name='comparisonagreement',
            name='comparison_agreement_band_idx',
        ),
        migrations.AddField(
            model_name='comparisontext',
            name='candidate',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='labeler.candidate'),
        ),
        migrations.AddField(
            model_name='comparisontext',
            name='comparison',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='labeler.comparison'),
        ),
        migrations.AddField(
            model_name='comparisontext',
            name='message',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='labeler.message'),
        ),
        migrations.AddConstraint(
            model_name='comparisontext',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('candidate__isnull', False), ('message__isnull', True)), models.Q(('candidate__isnull', True), ('message__isnull', False)), _connector='OR'), name='comparison_text_one_source'),
        ),
        migrations.RunPython(_create, _drop, elidable=False),
        # After the rows are in: one build of the index is quicker than 500,000 insertions into it.
        migrations.AddIndex(
            model_name='comparisontext',
            index=django.contrib.postgres.indexes.GinIndex(fields=['document'], name='comparison_text_document_idx'),
        ),
    ]
