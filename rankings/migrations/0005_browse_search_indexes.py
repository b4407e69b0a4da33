"""The data browser's PostgreSQL indexes (rankings/browse.py): full-text search over messages and
candidates, and the flag keys of rankings.

Expression indexes, so that writing a message, a candidate or a ranking costs only its index
entry: the browser's queries use the very same expressions. SQLite, the embedded default,
searches without them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

# As rankings/browse.py has them when this migration was written: the queries must use these very expressions.
SEARCH_CONFIG = "english"
FLAG_KEYS_PATH = "$.*[*]"


# Written out: Django puts an operator class on a function call inside one pair of parentheses too many.
FLAG_KEYS_INDEX = (
    "CREATE INDEX browse_ranking_flag_keys_idx ON rankings_ranking "
    f"USING gin (jsonb_path_query_array(flags, '{FLAG_KEYS_PATH}') jsonb_path_ops)"
)


def _search_indexes(apps):
    return [
        (apps.get_model("labeler", "Message"), GinIndex(SearchVector("content", config=SEARCH_CONFIG), name="browse_message_search_idx")),
        (apps.get_model("labeler", "Candidate"), GinIndex(SearchVector("text", config=SEARCH_CONFIG), name="browse_candidate_search_idx")),
    ]  # fmt: skip


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in _search_indexes(apps):
            schema_editor.add_index(model, index)
        schema_editor.execute(FLAG_KEYS_INDEX)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in _search_indexes(apps):
            schema_editor.remove_index(model, index)
        schema_editor.execute("DROP INDEX IF EXISTS browse_ranking_flag_keys_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0012_browse_indexes"),
        ("rankings", "0004_comparison_agreement_and_browse_indexes"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
