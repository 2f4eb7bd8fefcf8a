"""Streaming bulk loads: N-Quads fed to pyoxigraph's bulk loader on a thread while the caller writes them."""

from __future__ import annotations

import io
import queue
import threading
from typing import Any

import pyoxigraph as ox

from kg.errors import StoreError

CHUNK_BYTES = 1 << 20
"""N-Quads handed to the loader thread at a time (whole graphs: a blank node never spans two chunks)."""
QUEUE_CHUNKS = 32
"""Chunks waiting for the loader: the writer keeps producing while the loader writes a segment."""
SEGMENT_BYTES = 96 << 20
"""N-Quads per `bulk_load` call (about 400k quads): pyoxigraph sorts and writes a call's quads when
its input ends (or every million quads), so segments spread that work over the build instead of
leaving it all to the end, and bound the loader's memory."""


class _ChunkReader(io.RawIOBase):
    """A binary file over chunks taken from a queue, ending after `limit` bytes (at a chunk's end)
    or at None, the end of everything."""

    def __init__(self, chunks: queue.Queue[bytes | None], limit: int) -> None:
        self.chunks, self.limit = chunks, limit
        self.view = memoryview(b"")
        self.read_bytes = 0
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.view and not self.ended and self.read_bytes < self.limit:
            chunk = self.chunks.get()
            self.ended = chunk is None
            self.view = memoryview(chunk or b"")
            self.read_bytes += len(self.view)
        size = min(len(buffer), len(self.view))
        buffer[:size] = self.view[:size]
        self.view = self.view[size:]
        return size

    def drain(self) -> None:
        """Consume what is left, so that a writer blocked on the full queue gets through."""
        while not self.ended:
            self.ended = self.chunks.get() is None


class BulkWriter:
    """Feeds N-Quads to pyoxigraph's bulk loader running on a thread, through a bounded queue.

    The loader releases the GIL while it parses and writes, so the caller's Python work (reading
    and checking sources, formatting triples) runs alongside it on a second core. Memory stays
    bounded: the queue holds QUEUE_CHUNKS chunks, and each `bulk_load` call one segment.
    """

    def __init__(
        self,
        store: ox.Store,
        *,
        lenient: bool = False,
        chunk_bytes: int = CHUNK_BYTES,
        segment_bytes: int = SEGMENT_BYTES,
    ) -> None:
        self.lenient, self.chunk_bytes, self.segment_bytes = lenient, chunk_bytes, segment_bytes
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.pending: list[bytes] = []
        self.size = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._load, args=(store,), name="evkg-bulk-load", daemon=True)
        self.thread.start()

    def _load(self, store: ox.Store) -> None:
        reader = _ChunkReader(self.chunks, 0)
        try:
            while not reader.ended:
                reader = _ChunkReader(self.chunks, self.segment_bytes)
                data = io.BufferedReader(reader, CHUNK_BYTES)
                store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=self.lenient)
        except BaseException as exc:  # handed to the writing thread by write() and close()
            self.error = exc
            reader.drain()

    def write(self, nquads: bytes) -> None:
        """Queue N-Quads (whole lines) for the loader."""
        self.pending.append(nquads)
        self.size += len(nquads)
        if self.size >= self.chunk_bytes:
            self._flush()

    def _flush(self) -> None:
        self._raise()
        if self.pending:
            self.chunks.put(b"".join(self.pending))
            self.pending, self.size = [], 0

    def close(self) -> None:
        """Send what is left, wait for the loader to finish, and raise its error if it failed."""
        try:
            self._flush()
        finally:
            self.chunks.put(None)
            self.thread.join()
        self._raise()

    def abort(self) -> None:
        """End the load early (what was queued is still loaded); used when the caller failed."""
        self.pending = []
        self.chunks.put(None)
        self.thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            raise StoreError(f"the bulk load into the store failed: {self.error}") from self.error
