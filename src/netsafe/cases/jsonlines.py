"""Where each value of a JSON document starts: its line, for errors that name the line of a bad field.

``json`` keeps no positions, so once the text has parsed this walks it again and records the line of every
value by its path (object keys and list indexes), the shape pydantic reports an error's location in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from json import decoder

Path = tuple[str | int, ...]

# The standard library's string scanner (C-accelerated), which typeshed does not declare.
scanstring: Callable[[str, int], tuple[str, int]] = decoder.scanstring  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
# Numbers, true, false and null: whatever runs up to the next delimiter (the text is valid JSON already).
_SCALAR = re.compile(r"[^,\]\}\s]+")


def value_lines(text: str) -> dict[Path, int]:
    """``{path: line}`` for every value of ``text``, which must be valid JSON (1-based lines)."""
    lines: dict[Path, int] = {}
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        low, high = 0, len(starts) - 1
        while low < high:  # the last line start at or before offset
            mid = (low + high + 1) // 2
            if starts[mid] <= offset:
                low = mid
            else:
                high = mid - 1
        return low + 1

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    # An explicit stack, not recursion: a deeply nested file must not exhaust Python's stack.
    def walk(start: int) -> None:
        stack: list[tuple[Path, int, str]] = []  # (path of the container, next index, kind)
        i = skip(start)
        path: Path = ()
        while True:
            lines[path] = line_of(i)
            char = text[i]
            if char in "{[":
                i = skip(i + 1)
                close = "}" if char == "{" else "]"
                if text[i] == close:
                    i += 1
                else:
                    if char == "{":
                        key, i = scanstring(text, i + 1)
                        i = skip(skip(i) + 1)  # past the colon
                        stack.append((path, 0, "{"))
                        path = (*path, key)
                    else:
                        stack.append((path, 0, "["))
                        path = (*path, 0)
                    continue
            elif char == '"':
                _, i = scanstring(text, i + 1)
            else:
                match = _SCALAR.match(text, i)
                i = match.end() if match else i + 1
            # A value ended: go on to the next member of the innermost container, or close it.
            while True:
                i = skip(i)
                if not stack:
                    return
                parent, index, kind = stack[-1]
                if text[i] == ",":
                    i = skip(i + 1)
                    if kind == "{":
                        key, i = scanstring(text, i + 1)
                        i = skip(skip(i) + 1)
                        path = (*parent, key)
                    else:
                        stack[-1] = (parent, index + 1, kind)
                        path = (*parent, index + 1)
                    break
                stack.pop()
                i += 1  # past the closing bracket
            continue

    if text.strip():
        walk(0)
    return lines


def line_for(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, or of its nearest ancestor that is in the file (a missing field's object)."""
    for end in range(len(path), -1, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None
