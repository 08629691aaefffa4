"""A CSV file read block by block, with memory bounded by one block.

pyarrow's streaming CSV reader (``pyarrow.csv.open_csv``) reads ahead of its consumer without a bound: while a
model predicts on one chunk, the reader parses the rest of the file into memory. So the file is cut here into
blocks of whole lines (about ``chunk_rows`` rows each), and each block is parsed on its own by
``pyarrow.csv.read_csv`` with the column types fixed by the first block:

- types are inferred from the first block, like pandas does per chunk; integer feature columns become float64
  so that a later ``1.5`` does not break the stream (scikit-learn makes features floating point anyway);
- a value later in the file that does not fit its column's type is an error naming the column;
- as with pyarrow's own multi-threaded reader, a quoted value may not span lines.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

_BLOCK_BYTES = (64 << 10, 64 << 20)  # bounds of one block


class CsvChunks:
    """The rows of one CSV file (first line: the column names), a block at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with self._open() as handle:
            self._header = handle.readline()
            self._sample = handle.read(1 << 16)

    def _open(self) -> io.BufferedIOBase:
        """The file's bytes; a ``.gz`` file decompressed as it is read."""
        if self.path.suffix.lower() == ".gz":
            return gzip.open(self.path, "rb")
        return self.path.open("rb")

    @property
    def column_names(self) -> list[str]:
        return list(self._parse(self._header).column_names)

    def _block_bytes(self, chunk_rows: int) -> int:
        row_bytes = max(1, len(self._sample) // max(1, self._sample.count(b"\n")))
        low, high = _BLOCK_BYTES
        return min(max(chunk_rows * row_bytes, low), high)

    def _parse(self, data: bytes, columns: list[str] | None = None, types: dict | None = None) -> pa.Table:
        import pyarrow.csv as pacsv

        convert = pacsv.ConvertOptions(include_columns=columns or [], column_types=types or {})
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=max(len(data), 1 << 16) + 1),
            convert_options=convert,
        )

    def _blocks(self, size: int) -> Iterator[bytes]:
        """Blocks of whole lines, after the header line."""
        with self._open() as handle:
            handle.readline()
            carry = b""
            while block := handle.read(size):
                data = carry + block
                cut = data.rfind(b"\n") + 1
                carry = data[cut:]
                if cut:
                    yield data[:cut]
            if carry.strip():
                yield carry + b"\n"

    def batches(
        self, columns: list[str], chunk_rows: int, keep_integers: set[str]
    ) -> Iterator[pa.RecordBatch]:
        """Record batches of ``columns``; integer columns not in ``keep_integers`` become float64."""
        import pyarrow as pa

        types: dict[str, pa.DataType] | None = None
        for block in self._blocks(self._block_bytes(chunk_rows)):
            if types is None:  # the first block fixes every column's type
                table = self._parse(self._header + block, columns)
                types = {
                    field.name: _stream_type(field.type, field.name in keep_integers)
                    for field in table.schema
                }
                table = table.cast(pa.schema([(name, types[name]) for name in table.column_names]))
            else:
                table = self._parse(self._header + block, columns, types)
            yield from table.to_batches()


def _stream_type(inferred: pa.DataType, keep_integer: bool) -> pa.DataType:
    """The type a column keeps for the whole file, from what its first block looked like."""
    import pyarrow as pa

    if pa.types.is_null(inferred):  # empty in the first block: text for labels, numbers for features
        return pa.string() if keep_integer else pa.float64()
    if pa.types.is_integer(inferred) and not keep_integer:
        return pa.float64()
    return inferred
