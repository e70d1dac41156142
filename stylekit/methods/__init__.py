"""One module per method; importing this package registers them all."""

from . import adain, arbitrary, fast, gatys, wct  # noqa: F401
