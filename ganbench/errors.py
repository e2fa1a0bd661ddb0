"""User-facing errors: the CLI prints these as one line and exits non-zero, no traceback."""


class GanbenchError(Exception):
    """A problem with the user's input or environment, worded as 'what is wrong: how to fix it'."""

    exit_code = 2


class ChecksumError(GanbenchError):
    """A downloaded or supplied file does not match its pinned checksum."""
