"""A lean HTTP/1.1 load client: keep-alive connections on one asyncio loop.

httpx's async pool scans its connections in Python for every request; with
a few hundred kept-alive connections on a 2-core machine the *client* then
became the bottleneck (it sent 45 events/s while the server, fed by fresh
connections, qualified 200 events in under a second). A load generator must
cost far less than the server it measures, so this one writes each request
as bytes on a connection it owns and reads back only the status line,
headers and ``Content-Length`` body. It speaks exactly what ``leadline
serve`` (uvicorn) answers: no chunked bodies, no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class HTTPError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


@dataclass
class Answer:
    status: int
    body: bytes


class Connection:
    """One kept-alive connection; one request at a time on it."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post_json(self, path: str, payload: Any) -> Answer:
        body = json.dumps(payload).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        for attempt in (1, 2):  # a kept-alive connection the server closed: reopen once
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(request)
                await self.writer.drain()
                return await self._answer(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError) as err:
                await self.close()
                if attempt == 2:
                    raise HTTPError(repr(err)) from err
        raise AssertionError("unreachable")

    @staticmethod
    async def _answer(reader: asyncio.StreamReader) -> Answer:
        status_line = await reader.readuntil(b"\r\n")
        try:
            status = int(status_line.split(b" ", 2)[1])
        except (IndexError, ValueError) as err:
            raise HTTPError(f"not an HTTP status line: {status_line!r}") from err
        length = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return Answer(status, await reader.readexactly(length) if length else b"")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def serve_queue(
    url: str,
    headers: dict[str, str],
    connections: int,
    queue: asyncio.Queue[Any],
    handle: Callable[[Connection, Any], Awaitable[None]],
) -> None:
    """Run ``handle(connection, item)`` for every item put on ``queue`` (None ends
    one worker), on ``connections`` connections opened lazily."""

    async def worker() -> None:
        conn = Connection(url, headers)
        try:
            while (item := await queue.get()) is not None:
                await handle(conn, item)
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
