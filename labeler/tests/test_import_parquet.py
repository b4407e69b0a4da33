"""Parquet files are read row by row, with the same shapes and row-numbered problems."""

import io

import pyarrow
import pyarrow.parquet
import pytest

from labeler.importing import ImportFailed, conversations_import
from labeler.models import Comparison
from labeler.parsing import ImportOptions

pytestmark = pytest.mark.django_db

CONVERSATIONAL = {
    "prompt": [{"role": "user", "content": "2+2?"}],
    "chosen": [{"role": "assistant", "content": "4"}],
    "rejected": [{"role": "assistant", "content": "5"}],
}


def parquet(rows: list[dict]) -> io.BytesIO:
    buffer = io.BytesIO()
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), buffer)
    buffer.seek(0)
    return buffer


def test_a_parquet_file_of_trl_rows_is_imported(project):
    second = {**CONVERSATIONAL, "chosen": [{"role": "assistant", "content": " four "}]}
    result = conversations_import(project=project, source=parquet([CONVERSATIONAL, second]))
    assert (result.created, result.ready) == (2, 2)
    texts = sorted(tuple(c.candidates.values_list("text", flat=True)) for c in Comparison.objects.all())
    assert texts == [(" four ", "5"), ("4", "5")]


def test_a_null_column_is_an_absent_key(project):
    rows = [
        {"id": "a", "prompt": "x", "messages": None},
        {"id": "b", "prompt": None, "messages": [{"role": "user", "content": "y"}]},
    ]
    assert conversations_import(project=project, source=parquet(rows)).created == 2


def test_problems_name_the_row_and_field(project):
    rows = [CONVERSATIONAL, {**CONVERSATIONAL, "rejected": [{"role": "bot", "content": "5"}]}]
    with pytest.raises(ImportFailed) as failure:
        conversations_import(project=project, source=parquet(rows))
    assert [str(problem) for problem in failure.value.problems] == [
        'row 2, rejected[0].role: unknown role "bot" (use system, user or assistant)'
    ]
    result = conversations_import(project=project, source=parquet(rows), options=ImportOptions(skip_invalid=True))
    assert result.created == 1
    assert result.rejects[0].as_json()["row"] == 2


def test_a_damaged_parquet_file_is_refused_as_such(project):
    with pytest.raises(ImportFailed) as failure:
        conversations_import(project=project, source=io.BytesIO(b"PAR1 not really"))
    [problem] = failure.value.problems
    assert str(problem).startswith("file: is not a readable Parquet file")
