"""Example images, so demos and tests run offline on any machine.

Photos are read from the package that ships them (scikit-image's ``skimage/data`` on PyPI),
never copied into this repository. Paintings ship with stylekit itself
(``stylekit/example_images/``): photographs of eight public-domain paintings, each resized to
at most 768 px and 200 KB. Every image's provenance and licence is recorded here. Refer to one
as ``example:NAME`` on the command line or with :func:`example_path` in Python.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .errors import ImageError


@dataclass(frozen=True)
class Example:
    """One example image: its name, ``photo`` or ``style``, where it is and its credit.

    Attributes:
        name: what ``example:NAME`` and :func:`example_path` take.
        kind: ``"photo"`` or ``"style"``.
        package: the Python package that ships the file.
        path: the file's path inside that package.
        credit, license: provenance, shown in ``docs/example-sources.md``.

    Example:
        >>> chelsea = EXAMPLES["chelsea"]
        >>> chelsea.kind, chelsea.package, chelsea.license
        ('photo', 'skimage', 'public domain')
    """

    name: str
    kind: str  # "photo" or "style"
    package: str  # the Python package that ships the file
    path: str  # relative to the package folder
    credit: str
    license: str


#: The paintings shipped in ``example_images/``: artist, title, year, collection. The files are
#: photographs of the works as found in public style-transfer repositories
#: (jcjohnson/fast-neural-style, jcjohnson/neural-style, xunhuang1995/AdaIN-style).
PAINTINGS = {
    "starry_night": "Vincent van Gogh, The Starry Night, 1889 (Museum of Modern Art, New York)",
    "the_scream": "Edvard Munch, The Scream, 1893 (National Museum of Norway, Oslo)",
    "great_wave": "Katsushika Hokusai, The Great Wave off Kanagawa, c. 1831 (woodblock "
                  "print; e.g. The Metropolitan Museum of Art)",
    "composition_vii": "Wassily Kandinsky, Composition VII, 1913 (State Tretyakov Gallery, "
                       "Moscow)",
    "udnie": "Francis Picabia, Udnie, 1913 (Centre Pompidou, Paris)",
    "shipwreck": "J. M. W. Turner, The Shipwreck, 1805 (Tate Britain, London)",
    "woman_with_hat": "Henri Matisse, Woman with a Hat, 1905 (San Francisco Museum of Modern "
                      "Art)",
    "mondrian": "Piet Mondrian, Tableau No. 2 / Composition No. VII, 1913 (Solomon R. "
                "Guggenheim Museum, New York)",
}

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
        *(Example(name, "style", "stylekit", f"example_images/{name}.jpg", credit, "public domain")
          for name, credit in PAINTINGS.items()),
        Example("hubble", "style", "skimage", "data/hubble_deep_field.jpg",
                "Hubble eXtreme Deep Field, NASA (scikit-image)", "public domain"),
        Example("ihc", "style", "skimage", "data/ihc.png",
                "Immunohistochemistry stain (scikit-image)", "public domain"),
    )
}

PREFIX = "example:"
#: pip names of the Python packages that carry examples, where they differ from the import name.
PIP_NAMES = {"skimage": "scikit-image"}


def example_path(name: str) -> Path:
    """The file of an example image.

    Args:
        name: a key of :data:`EXAMPLES`, with or without the ``example:`` prefix.

    Returns:
        The path. An unknown name, or a missing package that carries it, raises
        :class:`ImageError` with the names available or the ``pip install`` to run.

    Example:
        >>> example_path("starry_night").name, example_path("example:chelsea").name
        ('starry_night.jpg', 'chelsea.png')
    """
    if name.startswith(PREFIX):
        name = name[len(PREFIX):]
    if name not in EXAMPLES:
        raise ImageError(f"unknown example image {name!r}; available: {', '.join(EXAMPLES)}")
    example = EXAMPLES[name]
    pip_name = PIP_NAMES.get(example.package, example.package)
    spec = importlib.util.find_spec(example.package)
    if spec is None or not spec.submodule_search_locations:
        raise ImageError(
            f"example image {name!r} comes with the {pip_name!r} package, which is not "
            f"installed; run: pip install {pip_name}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / example.path
    install = f"pip install --force-reinstall {pip_name}"
    if not path.is_file():
        raise ImageError(f"example image {name!r} is not installed at {path}; run: {install}")
    return path


def resolve_image_argument(value: str) -> str:
    """Command-line image argument: ``example:NAME`` becomes a path, anything else stays.

    Args:
        value: what the user typed.

    Returns:
        A path string, or ``value`` unchanged.

    Example:
        >>> resolve_image_argument("photo.jpg"), resolve_image_argument("example:udnie")[-9:]
        ('photo.jpg', 'udnie.jpg')
    """
    return str(example_path(value)) if value.startswith(PREFIX) else value


def sources_markdown() -> str:
    """Where every example image comes from, as a Markdown table (``docs/example-sources.md``
    is this text; the app shows it too).

    Returns:
        The Markdown text, one table row per example image.

    Example:
        >>> sources_markdown().splitlines()[0]
        '# Example images'
    """
    lines = ["# Example images", "",
             "Photos are read from installed packages at run time, never copied into this "
             "repository. The paintings ship with stylekit (`stylekit/example_images/`): "
             "photographs of public-domain works as found in public style-transfer repositories "
             "(jcjohnson/fast-neural-style, jcjohnson/neural-style, xunhuang1995/AdaIN-style), "
             "each resized to at most 768 px and 200 KB.", "",
             "| name | kind | credit | licence | comes with |", "|---|---|---|---|---|"]
    for e in EXAMPLES.values():
        where = f"PyPI package `{PIP_NAMES.get(e.package, e.package)}`"
        lines.append(f"| {e.name} | {e.kind} | {e.credit} | {e.license} | {where}: `{e.path}` |")
    return "\n".join(lines) + "\n"
