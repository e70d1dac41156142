"""One module per method; importing this package registers them all."""

from . import fast, gatys  # noqa: F401
