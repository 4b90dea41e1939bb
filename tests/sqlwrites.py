"""What an UPDATE writes: the columns of the SET clause of the statements a block ran on a
table (updates write only what they change: save(update_fields=…))."""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


@contextmanager
def updated_columns(table: str):
    """Yields a list that holds, after the block, one set of column names per UPDATE of `table`."""
    found: list[set[str]] = []
    with CaptureQueriesContext(connection) as queries:
        yield found
    for query in queries.captured_queries:
        sql = query["sql"]
        match = re.match(rf'UPDATE "{re.escape(table)}" SET (.*?) WHERE ', sql, re.S)
        if match:
            found.append(set(re.findall(r'"(\w+)" = ', match.group(1))))
