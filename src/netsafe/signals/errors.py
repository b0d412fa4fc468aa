"""The one exception type signal code raises for bad input: its message is a single line for the user."""

from netsafe.errors import InvalidInput


class SignalError(InvalidInput):
    """A file could not be turned into a signal; ``str(err)`` is a one-line reason."""
