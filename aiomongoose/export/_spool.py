"""A disk spool that turns newest-page-first history into oldest-first output.

History hands out pages newest first (each page oldest first inside). The spool appends each
encoded page followed by its length (8 bytes), so reading it back from the end, page by
page, gives the whole history oldest first: memory is one page whatever the archive size,
and no index is kept in RAM.
"""

from __future__ import annotations

import struct
import tempfile
from typing import BinaryIO

__all__ = ["Spool"]

_LEN = struct.Struct("<Q")


class Spool:
    """Encoded pages in a temporary file (deleted on :meth:`close`)."""

    def __init__(self, directory: str | None = None) -> None:
        self._file = tempfile.TemporaryFile(prefix="aiomongoose-spool-", dir=directory)
        self.pages = 0
        self.size = 0

    def add(self, page: bytes) -> None:
        """Append one page (its lines already in the order they will be written)."""
        self._file.write(page)
        self._file.write(_LEN.pack(len(page)))
        self.pages += 1
        self.size += len(page)

    def copy_reversed(self, out: BinaryIO) -> int:
        """Write the pages to ``out`` last added first; return the number of bytes written."""
        f = self._file
        f.flush()
        pos = f.seek(0, 2)
        written = 0
        while pos > 0:
            f.seek(pos - _LEN.size)
            (length,) = _LEN.unpack(f.read(_LEN.size))
            start = pos - _LEN.size - length
            f.seek(start)
            data = f.read(length)
            if len(data) != length:
                raise OSError("spool file is truncated")
            out.write(data)
            written += length
            pos = start
        return written

    def close(self) -> None:
        """Delete the spool file."""
        self._file.close()
