"""Hash one file: read it once, compute the cryptographic digests, then PDQ or vPDQ by what it really is.

Nothing here raises for bad input: every failure lands in ``FileRecord.error`` as one line, and whatever was
computed before the failure (size, digests) is kept, because a corrupt JPEG still has an MD5 a list may hold.
"""

from __future__ import annotations

import os
import stat

from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.media.sniff import SNIFF_BYTES, sniff
from netsafe.signals.crypto import digest_bytes, digest_stream
from netsafe.signals.defaults import one_line
from netsafe.signals.errors import SignalError


def hash_file(path: str, options: HashOptions) -> FileRecord:
    record = FileRecord(path=path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            record.error = "not a regular file (device, FIFO or socket): skipped"
            return record
        with open(path, "rb") as fh:
            if st.st_size <= options.in_memory_limit:
                data = fh.read()
                record.size = len(data)
                if options.crypto:
                    record.digests = digest_bytes(data, options.crypto).digests
                _perceptual(record, data, data[:SNIFF_BYTES], options)
            else:
                head = fh.read(SNIFF_BYTES)
                digests = digest_stream(fh, options.crypto, first=head)
                record.size = digests.size
                record.digests = digests.digests
                _perceptual(record, path, head, options)
    except OSError as err:
        record.error = f"cannot read file: {err.strerror or one_line(err)}"
    except MemoryError:
        record.error = "out of memory while hashing this file"
    return record


def hash_bytes(data: bytes, name: str, options: HashOptions) -> FileRecord:
    """Hash an in-memory upload exactly as :func:`hash_file` hashes a file."""
    record = FileRecord(path=name, size=len(data))
    if options.crypto:
        record.digests = digest_bytes(data, options.crypto).digests
    try:
        _perceptual(record, data, data[:SNIFF_BYTES], options)
    except MemoryError:
        record.error = "out of memory while hashing this file"
    return record


def _perceptual(record: FileRecord, source: bytes | str, head: bytes, options: HashOptions) -> None:
    if record.size == 0:
        record.kind = "other"
        record.error = "empty file"
        return
    found = sniff(head)
    record.kind, record.mime = found.kind, found.mime
    try:
        # The decoders are imported only for a file that needs them: digests alone never load
        # Pillow, numpy or PyAV, which keeps `netsafe hash --signals md5` quick to start.
        if found.kind == "image" and "pdq" in options.signals:
            from netsafe.signals.pdq import pdq_from_source

            pdq = pdq_from_source(source, options.pdq_mode, options.dihedral, options.max_pixels)
            record.pdq, record.pdq_quality = pdq.hash, pdq.quality
            record.pdq_dihedral = list(pdq.dihedral) if pdq.dihedral else None
        elif found.kind == "video" and "vpdq" in options.signals:
            _video(record, source, options)
    except SignalError as err:
        record.error = str(err)
    except Exception as err:  # a decoder bug must cost one file, never the run
        record.error = f"unexpected {type(err).__name__} while decoding: {one_line(err)}"


def _video(record: FileRecord, source: bytes | str, options: HashOptions) -> None:
    from netsafe.signals.vpdq import NoVideoStreamError, vpdq_from_source

    try:
        record.vpdq = vpdq_from_source(
            source, options.vpdq_interval, options.max_pixels, options.vpdq_max_frames
        )
    except NoVideoStreamError:
        record.kind = "other"  # an audio-only container: nothing perceptual to hash, and no error
