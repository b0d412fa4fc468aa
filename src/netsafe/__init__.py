"""netsafe: recognise, grade and remove known child sexual abuse imagery."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netsafe")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
