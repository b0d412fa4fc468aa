"""Read the members of zip, tar (plain, gzip, bzip2, xz), 7z and bare gzip/bzip2/xz files, in memory.

Nothing is written to disk: members are read into memory, or (past ``Limits.max_member_in_memory``) into a
private temporary file under a random name; a member's own name is never used as a path. Every byte an
archive produces is counted while it streams (headers are not trusted), so a zip bomb stops at the limit.
Each walker yields :class:`Member` records and :class:`SourceIssue` records and never raises.
"""

from __future__ import annotations

import bz2
import calendar
import contextlib
import gzip
import io
import lzma
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import py7zr
import py7zr.io

from netsafe.media.blobs import MemberBuffer, Spill
from netsafe.media.item import FileTimes, IssueCode, SourceIssue
from netsafe.media.limits import Budget, Layer, LimitError, Limits
from netsafe.media.location import Location
from netsafe.media.sniff import ContainerKind, is_tar_header
from netsafe.media.zipnames import without_false_utf8_flags
from netsafe.signals.defaults import one_line

_CHUNK = 1024 * 1024


@dataclass(slots=True)
class Member:
    location: Location
    content: bytes | Spill
    times: FileTimes

    @property
    def size(self) -> int:
        return len(self.content) if isinstance(self.content, bytes) else self.content.size


class _TooLargeError(Exception):
    pass


def read_member(stream: BinaryIO, layer: Layer | None, limits: Limits) -> bytes | Spill:
    """Read a member to its end, counting every byte against the limits as it arrives."""
    buf = MemberBuffer(limits.max_member_in_memory)
    try:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            if layer is not None:
                layer.add(len(chunk))
            buf.write(chunk)
            if buf.size > limits.max_file_size:
                raise _TooLargeError
        return buf.finish()
    except BaseException:
        buf.discard()
        raise


class CountingStream(io.RawIOBase):
    """Counts what a decompressor produces against a :class:`Layer` (bomb check while streaming)."""

    def __init__(self, inner: BinaryIO, layer: Layer) -> None:
        super().__init__()
        self._inner = inner
        self._layer = layer

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        self._layer.add(len(data))
        view[: len(data)] = data
        return len(data)


def unsafe_name(name: str) -> bool:
    """An absolute path, a drive letter or a ``..`` component: would escape a folder if extracted."""
    if name.startswith(("/", "\\")) or (len(name) >= 2 and name[1] == ":" and name[0].isalpha()):
        return True
    return any(part == ".." for part in name.replace("\\", "/").split("/"))


def _issue(location: Location, code: IssueCode, message: str) -> SourceIssue:
    return SourceIssue(location, code, message)


def _too_large(location: Location, limits: Limits) -> SourceIssue:
    return _issue(
        location, "too-large", f"member larger than the {limits.max_file_size}-byte limit (max_file_size)"
    )


def _broken(location: Location, err: BaseException) -> SourceIssue:
    return _issue(location, "corrupt-archive", f"cannot read archive: {type(err).__name__}: {one_line(err)}")


def walk_zip(stream: BinaryIO, size: int, where: Location, budget: Budget) -> Iterator[Member | SourceIssue]:
    limits = budget.limits
    layer = Layer(budget, size)
    try:
        archive = zipfile.ZipFile(stream)
    except UnicodeDecodeError as err:  # a name flagged UTF-8 that is not: read it as bytes instead
        fixed = without_false_utf8_flags(stream, size)
        try:
            if fixed is None:
                raise err
            archive = zipfile.ZipFile(fixed)
        except Exception as err2:
            yield _broken(where, err2)
            return
    except Exception as err:
        yield _broken(where, err)
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            yield _issue(
                where,
                "too-many-members",
                f"{len(infos)} members, more than max_members={limits.max_members}: only the first read",
            )
            infos = infos[: limits.max_members]
        for info in infos:
            if info.is_dir():
                continue
            loc = where.member(_zip_name(info), "zip")
            if unsafe_name(info.filename):
                yield _issue(
                    loc, "unsafe-path", "member name is absolute or contains '..': scanned in memory"
                )
            if info.flag_bits & 0x1 or info.compress_type == 99:  # 99: WinZip AES
                yield _issue(loc, "encrypted", "member is encrypted: content not scanned")
                continue
            try:
                with archive.open(info) as fh:
                    content = read_member(fh, layer, limits)  # type: ignore[arg-type]
            except LimitError as err:
                yield _issue(loc, err.code, err.message)
                return
            except _TooLargeError:
                yield _too_large(loc, limits)
                continue
            except Exception as err:  # bad CRC, unsupported method, truncated data: one member lost
                yield _issue(
                    loc, "corrupt-archive", f"cannot read member: {type(err).__name__}: {one_line(err)}"
                )
                continue
            yield Member(loc, content, _zip_times(info))


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A name without zip's UTF-8 flag is bytes in an unrecorded code page, which zipfile reads as cp437:
    take its exact bytes back, shown as UTF-8 where they are (most tools write UTF-8 without the flag)
    and as escaped bytes where not, so the report names the member as it was stored."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    return name.encode("cp437").decode("utf-8", "surrogateescape")


def _zip_times(info: zipfile.ZipInfo) -> FileTimes:
    try:
        return FileTimes(modified=float(calendar.timegm((*info.date_time, 0, 0, 0))))
    except (ValueError, OverflowError):
        return FileTimes()


_COMPRESSED: dict[str, tuple[str, str]] = {
    # kind: (name of the layer in locations, name of a tar inside it)
    "gzip": ("gzip", "tar.gz"),
    "bzip2": ("bzip2", "tar.bz2"),
    "xz": ("xz", "tar.xz"),
}


def walk_compressed(
    kind: ContainerKind, stream: BinaryIO, size: int, where: Location, budget: Budget
) -> Iterator[Member | SourceIssue]:
    """A gzip, bzip2 or xz file: a tar inside is walked as a stream; anything else is one member."""
    layer_name, tar_name = _COMPRESSED[kind]
    layer = Layer(budget, size)
    try:
        inner: BinaryIO
        if kind == "gzip":
            inner = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        elif kind == "bzip2":
            inner = bz2.BZ2File(stream, mode="rb")  # type: ignore[assignment]
        else:
            inner = lzma.LZMAFile(stream, mode="rb")  # type: ignore[assignment]  # noqa: SIM115 (closed with the stream)
        counted = io.BufferedReader(CountingStream(inner, layer), buffer_size=_CHUNK)
        head = counted.peek(512)[:512]
    except LimitError as err:
        yield _issue(where, err.code, err.message)
        return
    except Exception as err:
        yield _broken(where, err)
        return
    if is_tar_header(head):
        yield from _walk_tar_stream(counted, where, tar_name, None, budget)
        return
    loc = where.member(_inner_name(kind, stream, where), layer_name)
    try:
        content = read_member(counted, None, budget.limits)
    except LimitError as err:
        yield _issue(loc, err.code, err.message)
        return
    except _TooLargeError:
        yield _too_large(loc, budget.limits)
        return
    except Exception as err:
        yield _broken(where, err)
        return
    yield Member(loc, content, FileTimes())


def _inner_name(kind: str, stream: BinaryIO, where: Location) -> str:
    """The name gzip recorded for its content, else the outer name without its compression suffix."""
    if kind == "gzip":
        name = _gzip_fname(stream)
        if name:
            return name
    outer = where.name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz"):
        if outer.lower().endswith(suffix):
            stem = outer[: -len(suffix)]
            return stem + ".tar" if suffix.startswith(".t") and len(suffix) == 4 else stem
    return outer or "content"


def _gzip_fname(stream: BinaryIO) -> str | None:
    try:
        pos = stream.tell()
        stream.seek(0)
        header = stream.read(1024)
        stream.seek(pos)
    except (OSError, ValueError):
        return None
    if len(header) < 10 or not header[3] & 0x08:
        return None
    start = 10
    if header[3] & 0x04:  # FEXTRA comes before FNAME
        start += 2 + int.from_bytes(header[10:12], "little")
    end = header.find(b"\x00", start)
    if end < 0:
        return None
    return header[start:end].decode("latin-1") or None


def walk_tar(stream: BinaryIO, size: int, where: Location, budget: Budget) -> Iterator[Member | SourceIssue]:
    yield from _walk_tar_stream(stream, where, "tar", Layer(budget, size), budget)


def _walk_tar_stream(
    stream: BinaryIO, where: Location, name: str, layer: Layer | None, budget: Budget
) -> Iterator[Member | SourceIssue]:
    """Walk a tar sequentially ("r|"): nothing is seeked, so it works on a decompressing stream."""
    limits = budget.limits
    count = 0
    try:
        archive = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 (closed in the finally below)
    except Exception as err:
        yield _broken(where, err)
        return
    try:
        while True:
            try:
                info = archive.next()
            except LimitError as err:
                yield _issue(where, err.code, err.message)
                return
            except Exception as err:
                yield _broken(where, err)
                return
            if info is None:
                return
            if not info.isreg():
                continue  # folders, links and device entries carry no content
            count += 1
            loc = where.member(info.name, name)
            if count > limits.max_members:
                yield _issue(
                    where, "too-many-members", f"more than max_members={limits.max_members}: rest skipped"
                )
                return
            if unsafe_name(info.name):
                yield _issue(
                    loc, "unsafe-path", "member name is absolute or contains '..': scanned in memory"
                )
            if info.size > limits.max_file_size:
                yield _too_large(loc, limits)
                continue
            try:
                fh = archive.extractfile(info)
                if fh is None:
                    continue
                content = read_member(fh, layer, limits)  # type: ignore[arg-type]
            except LimitError as err:
                yield _issue(loc, err.code, err.message)
                return
            except _TooLargeError:
                yield _too_large(loc, limits)
                continue
            except Exception as err:
                yield _issue(
                    loc, "corrupt-archive", f"cannot read member: {type(err).__name__}: {one_line(err)}"
                )
                return  # a stream cannot skip past a broken member
            yield Member(loc, content, FileTimes(modified=float(info.mtime)))
    finally:
        with contextlib.suppress(Exception):
            archive.close()


def walk_7z(stream: BinaryIO, size: int, where: Location, budget: Budget) -> Iterator[Member | SourceIssue]:
    """7z through py7zr, written into memory through a writer factory that counts every byte.

    py7zr decompresses a solid block in one go, so the members are collected and then yielded.
    """
    limits = budget.limits
    layer = Layer(budget, size)
    try:
        archive = py7zr.SevenZipFile(stream, mode="r")
    except py7zr.PasswordRequired:
        yield _issue(where, "encrypted", "7z archive has encrypted headers: content not scanned")
        return
    except Exception as err:
        yield _broken(where, err)
        return
    with archive:
        try:
            encrypted = archive.needs_password()
        except Exception:
            encrypted = False
        if encrypted:
            yield _issue(where, "encrypted", "7z archive is encrypted: content not scanned")
            return
        files = [f for f in archive.files if not f.is_directory and not f.is_socket and not f.is_symlink]
        if len(files) > limits.max_members:
            yield _issue(
                where,
                "too-many-members",
                f"{len(files)} members, more than max_members={limits.max_members}: none read",
            )
            return
        # py7zr hands over each member in one piece sized by the archive's header (it never produces more
        # than the header says), so the declared sizes are checked before anything is decompressed.
        wanted: list[str] = []
        declared = 0
        for f in files:
            size_of = int(f.uncompressed or 0)
            if size_of > limits.max_file_size:
                yield _too_large(where.member(f.filename, "7z"), limits)
                continue
            declared += size_of
            wanted.append(f"m{f.id}")
        if budget.expanded + declared > limits.max_expanded_size or (
            declared > limits.ratio_grace and declared > limits.max_ratio * max(size, 1)
        ):
            yield _issue(
                where,
                "zip-bomb",
                f"7z archive declares {declared} bytes from {size} (limits max_expanded_size="
                f"{limits.max_expanded_size}, max_ratio={limits.max_ratio:g}): not extracted",
            )
            return
        names: dict[str, tuple[str, FileTimes]] = {}
        for f in archive.files:
            # Every member is extracted under an alias so that py7zr's own path checks (which refuse the
            # whole archive for one '../' name) see a plain name; the real name stays in the location.
            original = f.filename
            alias = f"m{f.id}"
            f._file_info["filename"] = alias
            names[alias] = (original, _7z_times(f))
        writers: dict[str, _Writer] = {}
        problem: SourceIssue | None = None

        class Factory(py7zr.io.WriterFactory):
            def create(self, filename: str) -> py7zr.io.Py7zIO:
                writer = _Writer(layer, limits)
                writers[filename] = writer
                return writer

        try:
            archive.extract(targets=wanted, factory=Factory())
        except LimitError as err:
            problem = _issue(where, err.code, err.message)
        except Exception as err:
            problem = _broken(where, err)
        for alias, writer in writers.items():
            original, times = names.get(alias, (alias, FileTimes()))
            loc = where.member(original, "7z")
            if unsafe_name(original):
                yield _issue(
                    loc, "unsafe-path", "member name is absolute or contains '..': scanned in memory"
                )
            if writer.too_large:
                yield _too_large(loc, limits)
            elif writer.done:
                yield Member(loc, writer.buffer.finish(), times)
            else:
                writer.buffer.discard()
        if problem is not None:
            yield problem


def _7z_times(f: object) -> FileTimes:
    try:
        stamp = f.lastwritetime  # type: ignore[attr-defined]
        if stamp is None:
            return FileTimes()
        return FileTimes(modified=float(stamp.as_datetime().timestamp()))
    except Exception:
        return FileTimes()


class _Writer(py7zr.io.Py7zIO):
    """Receives one 7z member from py7zr; counts it and keeps it in a :class:`MemberBuffer`."""

    def __init__(self, layer: Layer, limits: Limits) -> None:
        self.layer = layer
        self.limits = limits
        self.buffer = MemberBuffer(limits.max_member_in_memory)
        self.too_large = False
        self.done = False

    def write(self, s: bytes | bytearray) -> int:
        self.layer.add(len(s))
        if not self.too_large:
            self.buffer.write(bytes(s))
            if self.buffer.size > self.limits.max_file_size:
                self.too_large = True
                self.buffer.discard()
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.buffer.size

    def close(self) -> None:
        self.done = True
