"""Handing text columns to Arrow compute kernels."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def arrow_text(values: pd.Series) -> pa.Array:
    """The column as one contiguous Arrow ``large_string`` array (no copy when it is
    already one chunk). Kernels such as ``dictionary_encode`` must see one chunk, or
    each chunk gets its own dictionary."""
    array = pa.array(values.array, type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array
