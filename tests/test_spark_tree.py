"""The pieces of partition summaries (lingrad._sources.spark_tree), without a Spark session."""

from __future__ import annotations

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install -e '.[files]')")

from lingrad._sources.spark_tree import PIECE, _merged, _values, keyed_records  # noqa: E402


def test_pieces_in_any_order_rebuild_every_value():
    """Values over one piece (a wide Gram) are cut, may reach a merge task interleaved and
    out of order (a shuffle keeps no order), and come back whole, each once."""
    big = np.arange(PIECE // 8 * 2 + 5, dtype=np.float64)  # three pieces
    small = {"n": 3}
    rows = pa.Table.from_batches([*keyed_records(big, 7), *keyed_records(small, 2)])
    assert rows.column("pieces").to_pylist() == [3, 3, 3, 1]
    shuffled = rows.take(pa.array([2, 3, 0, 1])).to_batches(max_chunksize=1)
    got = list(_values(shuffled))
    assert got[0] == small and np.array_equal(got[1], big) and len(got) == 2


def test_merged_combines_all_values_and_none_for_nothing():
    batches = [*keyed_records(1.5, 0), *keyed_records(2.5, 1), *keyed_records(4.0, 2)]
    assert _merged(_values(batches), lambda a, b: a + b) == 8.0
    assert _merged(_values([]), lambda a, b: a + b) is None
