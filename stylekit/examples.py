"""Example images that come with installed packages, so demos and tests run offline.

Images are never copied into this repository: they are read from the package that ships them
(scikit-image's ``skimage/data`` on PyPI, Debian's ``opencv-doc``), with their provenance and
licence recorded here. Refer to
one as ``example:NAME`` on the command line or with :func:`example_path` in Python.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .errors import ImageError


@dataclass(frozen=True)
class Example:
    name: str
    kind: str  # "photo" or "style"
    package: str  # the Python package that ships the file, or "debian:NAME" for a system one
    path: str  # relative to the package folder, or absolute for a Debian package
    credit: str
    license: str


EXAMPLES: dict[str, Example] = {
    e.name: e
    for e in (
        Example("chelsea", "photo", "skimage", "data/chelsea.png",
                "Chelsea the cat, by Stefan van der Walt (scikit-image)", "public domain"),
        Example("astronaut", "photo", "skimage", "data/astronaut.png",
                "Eileen Collins, NASA (scikit-image)", "public domain"),
        Example("coffee", "photo", "skimage", "data/coffee.png",
                "Coffee cup, by Rachel Michetti (scikit-image)", "CC0"),
        Example("rocket", "photo", "skimage", "data/rocket.jpg",
                "Falcon 9 launch, SpaceX (scikit-image)", "public domain"),
        Example("hubble", "style", "skimage", "data/hubble_deep_field.jpg",
                "Hubble eXtreme Deep Field, NASA (scikit-image)", "public domain"),
        Example("ihc", "style", "skimage", "data/ihc.png",
                "Immunohistochemistry stain (scikit-image)", "public domain"),
        Example("starry_night", "style", "debian:opencv-doc",
                "/usr/share/doc/opencv-doc/examples/data/starry_night.jpg",
                "Van Gogh, The Starry Night, 1889 (Debian opencv-doc)", "public domain"),
    )
}

PREFIX = "example:"
#: pip names of the Python packages that carry examples, where they differ from the import name.
PIP_NAMES = {"skimage": "scikit-image"}


def example_path(name: str) -> Path:
    """The file of example ``name``; a clear error if unknown or its package is missing."""
    if name.startswith(PREFIX):
        name = name[len(PREFIX):]
    if name not in EXAMPLES:
        raise ImageError(f"unknown example image {name!r}; available: {', '.join(EXAMPLES)}")
    example = EXAMPLES[name]
    if example.package.startswith("debian:"):
        path = Path(example.path)
        install = f"sudo apt-get install {example.package.removeprefix('debian:')}"
    else:
        spec = importlib.util.find_spec(example.package)
        if spec is None or not spec.submodule_search_locations:
            raise ImageError(
                f"example image {name!r} comes with the {example.package!r} package, which is "
                "not installed; run: pip install scikit-image"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / example.path
        install = f"pip install --force-reinstall {example.package}"
    if not path.is_file():
        raise ImageError(f"example image {name!r} is not installed at {path}; run: {install}")
    return path


def resolve_image_argument(value: str) -> str:
    """Command-line image argument: ``example:NAME`` becomes a path, anything else stays."""
    return str(example_path(value)) if value.startswith(PREFIX) else value


def sources_markdown() -> str:
    """Where every example image comes from, as a Markdown table (``docs/example-sources.md``
    is this text; the app shows it too)."""
    lines = ["# Example images", "",
             "Read from installed packages at run time, never copied into this repository.", "",
             "| name | kind | credit | licence | comes with |", "|---|---|---|---|---|"]
    for e in EXAMPLES.values():
        where = (f"Debian package `{e.package.removeprefix('debian:')}`"
                 if e.package.startswith("debian:")
                 else f"PyPI package `{PIP_NAMES.get(e.package, e.package)}`")
        lines.append(f"| {e.name} | {e.kind} | {e.credit} | {e.license} | {where}: `{e.path}` |")
    return "\n".join(lines) + "\n"
