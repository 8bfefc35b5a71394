"""Readers: every staged record knows its row number and the line it starts on."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leadline.errors import ImportFileError
from leadline.ingest.readers import stage_file
from leadline.store.duckdb import DuckDBEngine


def staged(engine: DuckDBEngine, path: Path) -> list[tuple[object, ...]]:
    info = stage_file(engine, path, "raw")
    cols = ", ".join(info.staged)
    return engine.fetch(f"SELECT _row, _line, _reader_problem, {cols} FROM raw ORDER BY _row")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("lf", b"a,b\n1,x\n2,y\n", [(1, 2, None, "1", "x"), (2, 3, None, "2", "y")]),
        ("crlf", b"a,b\r\n1,x\r\n2,y\r\n", [(1, 2, None, "1", "x"), (2, 3, None, "2", "y")]),
        ("cr only", b"a,b\r1,x\r2,y", [(1, 2, None, "1", "x"), (2, 3, None, "2", "y")]),
        (
            "quoted newline",
            b'a,b\n1,"two\nlines"\n2,y\n',
            [(1, 2, None, "1", "two\nlines"), (2, 4, None, "2", "y")],
        ),
        (
            "quoted crlf newlines",
            b'a,b\r\n1,"x\r\ny\r\nz"\r\n2,y\r\n',
            [(1, 2, None, "1", "x\r\ny\r\nz"), (2, 5, None, "2", "y")],
        ),
        (
            "blank line and quoted newline (csv-module path)",
            b'a,b\n1,"p\nq"\n\n2,y\n',
            [(1, 2, None, "1", "p\nq"), (2, 5, None, "2", "y")],
        ),
        (
            "ragged record",
            b"a,b\n1,x\n2\n3,z,extra\n",
            [
                (1, 2, None, "1", "x"),
                (2, 3, "the record has 1 fields, the header has 2", "2", ""),
                (3, 4, "the record has 3 fields, the header has 2", "3", "z"),
            ],
        ),
        ("bom", b"\xef\xbb\xbfa,b\n1,x\n", [(1, 2, None, "1", "x")]),
        ("no trailing newline", b"a,b\n1,x", [(1, 2, None, "1", "x")]),
    ],
)
def test_csv_lines(
    engine: DuckDBEngine,
    tmp_path: Path,
    name: str,
    content: bytes,
    expected: list[tuple[object, ...]],
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert staged(engine, path) == expected


def test_csv_header_names_kept(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("Lead ID,Lead ID, \n1,2,3\n")
    assert stage_file(engine, path, "raw").headers == ("Lead ID", "Lead ID_2", "column_3")


def test_jsonl_lines_and_values(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(
        json.dumps({"a": 1, "b": "x"})
        + "\n\n"
        + "{not json}\n"
        + json.dumps({"a": True, "c": [1, 2]})
        + "\n"
    )
    info = stage_file(engine, path, "raw")
    assert info.headers == ("a", "b", "c")
    rows = engine.fetch(
        "SELECT _row, _line, _reader_problem IS NOT NULL, c1, c2, c3 FROM raw ORDER BY _row"
    )
    assert rows == [
        (1, 1, False, "1", "x", None),
        (2, 3, True, None, None, None),
        (3, 4, False, "true", None, "[1, 2]"),
    ]


def test_parquet_row_numbers(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"n": [1, 2, 3], "s": ["a", None, "c"]}), path)
    rows = staged(engine, path)
    assert rows == [
        (1, None, None, "1", "a"),
        (2, None, None, "2", None),
        (3, None, None, "3", "c"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "suffix", "message"),
    [
        ("empty", b"", ".csv", "missing header"),
        ("blank header", b",,\n1,2,3\n", ".csv", "missing header"),
        ("unknown extension", b"a\n1\n", ".xlsx", "cannot tell the format"),
        ("no objects", b"[1, 2]\n", ".jsonl", "missing header"),
        ("bad parquet", b"not parquet", ".parquet", "unreadable Parquet"),
    ],
)
def test_unreadable_files_name_the_file(
    engine: DuckDBEngine, tmp_path: Path, name: str, content: bytes, suffix: str, message: str
) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as err:
        stage_file(engine, path, "raw")
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_missing_file(engine: DuckDBEngine, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        stage_file(engine, tmp_path / "nope.csv", "raw")
