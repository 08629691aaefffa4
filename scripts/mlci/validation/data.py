"""Evaluation data: a CSV or Parquet file read in chunks, or a scikit-learn toy dataset.

``--data`` is ``sklearn:NAME`` (wine, iris, breast_cancer, digits; target column ``target``) or a ``.csv``,
``.csv.gz`` or ``.parquet`` file or a folder of Parquet files (``--target`` names the label column), here or
at ``s3://``, ``https://``, ``runs:/`` or ``hf://datasets/`` (fetched first: :mod:`mlci.validation.sources`).
Files are never read whole: one chunk of rows at a time, so memory holds one chunk, whatever the number of
rows. CSV files are cut into blocks of lines by :mod:`mlci.validation.csv_chunks` (pyarrow's own streaming CSV
reader reads ahead without a bound); Parquet files (a folder's one after the other) go through
``ParquetFile.iter_batches`` with ``pre_buffer=False`` (with it, pyarrow keeps every row group it has read).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.errors import UserError
from mlci.validation.csv_chunks import CsvChunks

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

log = logging.getLogger(__name__)

SKLEARN_DATASETS = ("wine", "iris", "breast_cancer", "digits")
SKLEARN_TARGET = "target"
_TITLE = "mlci validate: bad data"


#: Where --data may live besides this machine: the scheme and the way it is fetched (mlci.validation.sources)
REMOTE_SCHEMES = ("s3://", "https://", "http://", "runs:/", "hf://datasets/")


@dataclass(frozen=True)
class DataSpec:
    """What ``--data`` names; ``location`` is a local path (for remote data: after ``sources.fetch_data``)."""

    text: str
    kind: str  # sklearn, csv, parquet
    location: str  # dataset name, file path, or a folder of Parquet files
    remote: bool = False  # still to fetch: text names it
    resolved: dict[str, Any] | None = None  # what fetched data resolved to (a Hub dataset's commit...)


def _kind(text: str, path: str) -> str:
    """The format a data path names: a .csv (also gzip-compressed) or .parquet file, or a Parquet folder."""
    name = path.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")) or name.endswith("/") or Path(path).expanduser().is_dir():
        return "parquet"
    raise UserError(
        f"--data {text}: expected a .csv, .csv.gz or .parquet file, a folder of Parquet files, or "
        f"sklearn:NAME ({', '.join(SKLEARN_DATASETS)}); also from s3://, https://, runs:/ or hf://datasets/.",
        title=_TITLE,
    )


def parse_data_spec(text: str) -> DataSpec:
    """Parse ``--data``; a local file must exist (checked here, before any model is downloaded)."""
    if text.startswith("sklearn:"):
        name = text.removeprefix("sklearn:")
        if name not in SKLEARN_DATASETS:
            raise UserError(
                f"--data {text}: unknown scikit-learn dataset '{name}'; choose one of "
                f"{', '.join('sklearn:' + n for n in SKLEARN_DATASETS)}.",
                title=_TITLE,
            )
        return DataSpec(text=text, kind="sklearn", location=name)
    if text.startswith(REMOTE_SCHEMES):
        return DataSpec(text=text, kind=_kind(text, text.split("?")[0]), location="", remote=True)
    path = Path(text).expanduser()
    if not path.exists():
        raise UserError(
            f"--data {text}: no such file; check the path (relative to {Path.cwd()}).", title=_TITLE
        )
    kind = _kind(text, text)
    if path.is_dir() and not parquet_files(path):
        raise UserError(f"--data {text}: the folder holds no .parquet file.", title=_TITLE)
    return DataSpec(text=text, kind=kind, location=str(path))


def parquet_files(location: str | Path) -> list[Path]:
    """A Parquet file, or the .parquet files of a folder (and its subfolders) in path order."""
    path = Path(location)
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".pq") and p.is_file())


class Dataset:
    """Rows to evaluate on: column names, a row count, and the rows as pyarrow record batches."""

    def __init__(self, spec: DataSpec, target: str | None) -> None:
        self.spec = spec
        if spec.kind == "sklearn":
            if target not in (None, SKLEARN_TARGET):
                raise UserError(
                    f"--target {target}: the scikit-learn datasets name their label column "
                    f"'{SKLEARN_TARGET}'; leave --target out.",
                    title=_TITLE,
                )
            target = SKLEARN_TARGET
        if not target:
            raise UserError(f"--data {spec.text}: --target COLUMN is required to name the label column.")
        self.target = target
        self._table = _load_sklearn(spec.location) if spec.kind == "sklearn" else None
        self.columns = self._read_column_names()
        if target not in self.columns:
            raise UserError(
                f"--target {target}: no such column in {spec.text}; columns: {', '.join(self.columns)}."
                f"{self._separator_hint()}",
                title=_TITLE,
            )

    # ----------------------------------------------------------------------------------------- shape

    def _read_column_names(self) -> list[str]:
        if self._table is not None:
            return list(self._table.column_names)
        try:
            if self.spec.kind == "parquet":
                import pyarrow.parquet as pq

                return list(pq.ParquetFile(parquet_files(self.spec.location)[0]).schema_arrow.names)
            return CsvChunks(self.spec.location).column_names
        except Exception as exc:  # pyarrow's ArrowInvalid, OSError...: the file is the user's input
            raise self._unreadable(exc) from None

    def _separator_hint(self) -> str:
        """Why a CSV file read as one column: it separates its values with ';' or a tab, not a comma."""
        if self.spec.kind != "csv" or len(self.columns) != 1:
            return ""
        for separator, name in ((";", "';'"), ("\t", "tabs")):
            if separator in self.columns[0]:
                return f" The file separates its values with {name}: save it comma-separated."
        return ""

    def _unreadable(self, exc: Exception) -> UserError:
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        return UserError(f"--data {self.spec.text}: cannot read the file: {first_line}", title=_TITLE)

    def count_rows(self) -> int:
        """The number of rows (Parquet and toy data know it; a CSV file is streamed once, target only)."""
        if self._table is not None:
            return self._table.num_rows
        if self.spec.kind == "parquet":
            import pyarrow.parquet as pq

            return sum(pq.ParquetFile(part).metadata.num_rows for part in parquet_files(self.spec.location))
        return sum(batch.num_rows for batch in self.batches([self.target]))

    def read_target(self) -> np.ndarray:
        """The whole label column (memory grows with the rows: only ``--stratify`` needs it)."""
        import numpy as np

        parts = [self.label_values(batch) for batch in self.batches([self.target])]
        return np.concatenate(parts) if parts else np.array([])

    def label_values(self, batch: pa.RecordBatch) -> np.ndarray:
        """The labels of ``batch`` as a numpy array; UserError when a row has none (null or NaN)."""
        import pyarrow as pa

        column = batch.column(self.target)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if missing_values(column):
            raise self._missing_labels()
        return column.to_numpy(zero_copy_only=False)

    def label_sample(self) -> np.ndarray:
        """The first labels of the data: their type is the label column's."""
        for batch in self.batches([self.target], 1000):
            return self.label_values(batch)
        raise UserError(f"--data {self.spec.text}: there are no rows to evaluate.", title=_TITLE)

    def _missing_labels(self) -> UserError:
        """How many rows of the whole data have no label (an error path: one more pass, label column only)."""
        total = sum(missing_values(part.column(self.target)) for part in self.batches([self.target]))
        return UserError(
            f"--data {self.spec.text}: the label column '{self.target}' has {total} empty or NaN value(s); "
            "every row needs a label: drop those rows or fill them.",
            title=_TITLE,
        )

    @property
    def feature_order(self) -> list[str] | None:
        """The features in an order fixed by their source, not by a file's layout: the scikit-learn datasets'.

        ``load_NAME(return_X_y=True)`` gives a model its columns in this order, so a model fitted without
        column names reads them right. A file's columns can be in any order: None.
        """
        if self.spec.kind != "sklearn":
            return None
        return [name for name in self.columns if name != self.target]

    def check_columns(self, names: list[str], what: str) -> None:
        """UserError naming the columns ``what`` needs that the data lacks."""
        missing = [name for name in names if name not in self.columns]
        if missing:
            raise UserError(
                f"{what} needs the column(s) {', '.join(missing)}, which {self.spec.text} does not have; "
                f"its columns: {', '.join(self.columns)}.",
                title=_TITLE,
            )

    # ----------------------------------------------------------------------------------------- rows

    def batches(self, columns: list[str], chunk_rows: int = 200_000) -> Iterator[pa.RecordBatch]:
        """The given columns, ``chunk_rows`` rows at a time (the last batch may be shorter)."""
        if self._table is not None:
            yield from self._table.select(columns).to_batches(max_chunksize=chunk_rows)
            return
        reader = self._parquet_batches if self.spec.kind == "parquet" else self._csv_batches
        try:
            for batch in reader(columns, chunk_rows):
                # A CSV block can be longer than asked: cut it.
                for start in range(0, batch.num_rows, chunk_rows):
                    yield batch.slice(start, chunk_rows)
        except UserError:
            raise
        except Exception as exc:  # pyarrow.lib.ArrowInvalid: a malformed row half-way through the file
            raise self._unreadable(exc) from None

    def _parquet_batches(self, columns: list[str], chunk_rows: int) -> Iterator[pa.RecordBatch]:
        import pyarrow.parquet as pq

        # pre_buffer=False: with it, pyarrow keeps every row group's bytes it has read until the file closes,
        # and memory would grow with the file. A folder's files are read one after the other, in path order.
        for part in parquet_files(self.spec.location):
            with pq.ParquetFile(part, pre_buffer=False) as handle:
                yield from handle.iter_batches(batch_size=chunk_rows, columns=columns)

    def _csv_batches(self, columns: list[str], chunk_rows: int) -> Iterator[pa.RecordBatch]:
        yield from CsvChunks(self.spec.location).batches(columns, chunk_rows, keep_integers={self.target})


def _load_sklearn(name: str) -> pa.Table:
    import pyarrow as pa
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    names = [str(feature) for feature in bunch.feature_names]
    columns = {feature: pa.array(bunch.data[:, i]) for i, feature in enumerate(names)}
    columns[SKLEARN_TARGET] = pa.array(bunch.target)
    return pa.table(columns)


def missing_values(column: pa.Array | pa.ChunkedArray) -> int:
    """How many values of ``column`` are missing: null, or NaN (pyarrow and polars write NaN, not null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = column.null_count
    if pa.types.is_floating(column.type):
        missing += pc.sum(pc.is_nan(column)).as_py() or 0
    return int(missing)
