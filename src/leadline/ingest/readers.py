"""Readers: CSV, JSON lines and Parquet into a DuckDB staging table of strings.

Every value is staged as text; typing happens later in SQL so a bad value
becomes a quarantined row with a reason instead of a failed import.  Each
staged row carries ``_row`` (1-based record number) and ``_line`` (1-based
line where the record starts in the file; NULL for Parquet) so every problem
can be reported as ``file:line``.  CSV uses Python's csv module because it
tracks physical lines through quoted fields that span lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leadline.errors import ImportFileError
from leadline.ingest.normalize import ident
from leadline.store.base import Engine

FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
READ_BATCH = 100_000
csv.field_size_limit(64 * 1024 * 1024)


@dataclass(frozen=True)
class StagedFile:
    """What was staged: the file's column names, their staging names, row count."""

    path: Path
    headers: tuple[str, ...]
    staged: tuple[str, ...]  # staging column for each header: c1, c2, ...
    rows: int
    sha256: str


def detect_format(path: Path, override: str | None = None) -> str:
    if override:
        if override not in set(FORMATS.values()):
            raise ImportFileError(f"{path}: unknown format {override!r}; use csv, jsonl or parquet")
        return override
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            "use .csv, .jsonl/.ndjson/.json or .parquet"
        )
    return fmt


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unique_headers(path: Path, raw: list[str]) -> tuple[str, ...]:
    if not raw or all(not h.strip() for h in raw):
        raise ImportFileError(f"{path}: missing header row")
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(raw, 1):
        name = name.strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        out.append(name)
    return tuple(out)


def _batch_table(
    columns: list[list[str | None]],
    rows: list[int],
    lines: list[int | None],
    problems: list[str | None],
    width: int,
) -> pa.Table:
    arrays: dict[str, Any] = {
        "_row": pa.array(rows, pa.int64()),
        "_line": pa.array(lines, pa.int64()),
        "_reader_problem": pa.array(problems, pa.string()),
    }
    for i in range(width):
        arrays[f"c{i + 1}"] = pa.array(columns[i], pa.string())
    return pa.table(arrays)


def _open_text(path: Path) -> io.TextIOWrapper:
    """UTF-8 (with or without BOM); files that are not UTF-8 fall back to cp1252."""
    with path.open("rb") as fh:
        sample = fh.read(1 << 20)
    encoding = "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:  # not just a character cut by the sample end
            encoding = "cp1252"
    return open(path, encoding=encoding, errors="replace", newline="")


def _physical_lines(data: bytes) -> int:
    breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return breaks + (0 if not data or data.endswith((b"\n", b"\r")) else 1)


def _csv_fast(
    path: Path, headers: tuple[str, ...], header_lines: int, delimiter: str
) -> pa.Table | None:
    """Parse with Arrow's multi-threaded reader when line numbers can be derived exactly.

    A record starts one line after the previous record plus the line breaks
    inside its quoted values.  That holds unless the file has blank lines or
    ragged records, which the check against the file's physical line count
    (or Arrow's own error) catches; then the caller falls back to the
    csv-module reader, which tracks lines itself.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                column_names=list(headers), skip_rows=header_lines, block_size=16 << 20
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(headers, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    n = table.num_rows
    step = pc.fill_null(pa.nulls(n, pa.int64()), 1)
    for col in table.columns:
        extra = pc.fill_null(pc.count_substring_regex(col, r"\r\n|\r|\n"), 0)
        step = pc.add(step, pc.cast(extra, pa.int64()))
    ends = pc.cumulative_sum(step) if n else step
    if header_lines + (ends[-1].as_py() if n else 0) != _physical_lines(data):
        return None
    starts = pc.add(pc.subtract(ends, step), header_lines + 1)
    arrays: dict[str, Any] = {
        "_row": pa.array(range(1, n + 1), pa.int64()),
        "_line": starts,
        "_reader_problem": pa.nulls(n, pa.string()),
    }
    for i, col in enumerate(table.columns):
        arrays[f"c{i + 1}"] = col
    return pa.table(arrays)


def _csv_batches(path: Path) -> tuple[tuple[str, ...], Iterator[pa.Table]]:
    fh = _open_text(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise ImportFileError(f"{path}: the file is empty (missing header row)") from None
    except csv.Error as err:
        fh.close()
        raise ImportFileError(f"{path}: unreadable CSV: {err}") from err
    headers = _unique_headers(path, header)
    width = len(headers)
    header_lines = reader.line_num
    if fh.encoding == "utf-8-sig":
        fast = _csv_fast(path, headers, header_lines, delimiter)
        if fast is not None:
            fh.close()
            return headers, iter([fast])

    def batches() -> Iterator[pa.Table]:
        start = reader.line_num + 1
        row = 0
        records: list[list[str]] = []
        rows: list[int] = []
        lines: list[int | None] = []
        problems: list[str | None] = []
        try:
            for record in reader:
                line = start
                start = reader.line_num + 1
                if not record:
                    continue  # a blank line
                row += 1
                if len(record) != width:
                    if len(record) > width and not any(v.strip() for v in record[width:]):
                        problems.append(None)
                    else:
                        problems.append(
                            f"the record has {len(record)} fields, the header has {width}"
                        )
                    record = (record + [""] * width)[:width]
                else:
                    problems.append(None)
                records.append(record)
                rows.append(row)
                lines.append(line)
                if len(records) >= READ_BATCH:
                    yield _batch_table(_columns(records, width), rows, lines, problems, width)
                    records, rows, lines, problems = [], [], [], []
            if records:
                yield _batch_table(_columns(records, width), rows, lines, problems, width)
        except csv.Error as err:
            raise ImportFileError(f"{path}:{reader.line_num}: unreadable CSV: {err}") from err
        finally:
            fh.close()

    return headers, batches()


def _columns(records: list[list[str]], width: int) -> list[list[str | None]]:
    return (
        [list(col) for col in zip(*records, strict=True)] if records else [[] for _ in range(width)]
    )


def _json_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _jsonl_batches(path: Path) -> tuple[tuple[str, ...], Iterator[pa.Table]]:
    """JSON lines (or one JSON array): the union of keys, in first-seen order."""
    records: list[tuple[int | None, dict[str, Any] | None, str | None]] = []
    with _open_text(path) as fh:
        text = fh.read()
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as err:
            raise ImportFileError(f"{path}: not valid JSON: {err}") from err
        for item in items:
            ok = isinstance(item, dict)
            records.append((None, item if ok else None, None if ok else "not a JSON object"))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                records.append((number, None, f"not valid JSON: {err.msg}"))
                continue
            if not isinstance(item, dict):
                records.append((number, None, "not a JSON object"))
                continue
            records.append((number, item, None))
    keys: dict[str, None] = {}
    for _, item, _ in records:
        if item:
            keys.update(dict.fromkeys(item))
    if not keys:
        raise ImportFileError(f"{path}: no JSON objects with fields (missing header)")
    headers = tuple(keys)
    width = len(headers)

    def batches() -> Iterator[pa.Table]:
        for lo in range(0, len(records), READ_BATCH):
            chunk = records[lo : lo + READ_BATCH]
            columns: list[list[str | None]] = [
                [_json_value((item or {}).get(k)) for _, item, _ in chunk] for k in headers
            ]
            yield _batch_table(
                columns,
                list(range(lo + 1, lo + len(chunk) + 1)),
                [line for line, _, _ in chunk],
                [problem for _, _, problem in chunk],
                width,
            )

    return headers, batches()


def _parquet_batches(path: Path) -> tuple[tuple[str, ...], Iterator[pa.Table]]:
    try:
        pfile = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise ImportFileError(f"{path}: unreadable Parquet: {err}") from err
    headers = _unique_headers(path, list(pfile.schema_arrow.names))
    width = len(headers)

    def batches() -> Iterator[pa.Table]:
        done = 0
        for batch in pfile.iter_batches(batch_size=READ_BATCH):
            n = batch.num_rows
            columns = []
            for col in batch.columns:
                if pa.types.is_nested(col.type):
                    columns.append([_json_value(v) for v in col.to_pylist()])
                else:
                    columns.append(pc.cast(col, pa.string()).to_pylist())
            yield _batch_table(
                columns, list(range(done + 1, done + n + 1)), [None] * n, [None] * n, width
            )
            done += n

    return headers, batches()


def stage_file(engine: Engine, path: Path, table: str, fmt: str | None = None) -> StagedFile:
    """Read the file into temp table ``table`` (``_row, _line, _reader_problem, c1..cN``)."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    try:
        if kind == "csv":
            headers, batches = _csv_batches(path)
        elif kind == "jsonl":
            headers, batches = _jsonl_batches(path)
        else:
            headers, batches = _parquet_batches(path)
    except OSError as err:
        raise ImportFileError(f"{path}: cannot read: {err}") from err
    staged = tuple(f"c{i + 1}" for i in range(len(headers)))
    cols = ", ".join(f"{ident(c)} VARCHAR" for c in staged)
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(table)} "
        f"(_row BIGINT, _line BIGINT, _reader_problem VARCHAR, {cols})"
    )
    rows = 0
    view = f"{table}_arrow"
    for batch in batches:
        engine.register_arrow(view, batch)
        try:
            engine.execute(f"INSERT INTO {ident(table)} SELECT * FROM {ident(view)}")
        finally:
            engine.unregister(view)
        rows += batch.num_rows
    return StagedFile(path, headers, staged, rows, _sha256(path))
