"""netsafe: recognise, grade and remove known child sexual abuse imagery."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs 0.03 s, which `netsafe --help` need not pay.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("netsafe")
    except PackageNotFoundError:  # running from a source tree without an install
        found = "0.0.0"
    globals()["__version__"] = found
    return found


__all__ = ["__version__"]
