"""One module per method; importing this package registers them all."""

from . import gatys  # noqa: F401
