"""Example images: provenance table, resolution, and the sources file kept in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from stylekit.errors import ImageError
from stylekit.examples import EXAMPLES, example_path, resolve_image_argument, sources_markdown

SOURCES_FILE = Path(__file__).resolve().parent.parent / "docs" / "example-sources.md"


def test_sources_file_matches_the_table() -> None:
    # Regenerate with: python -c "from stylekit.examples import sources_markdown as s;
    #   open('docs/example-sources.md', 'w').write(s())"
    assert SOURCES_FILE.read_text() == sources_markdown()
    for example in EXAMPLES.values():
        assert example.credit and example.license


def test_scikit_image_examples_resolve_to_real_files() -> None:
    for name in ("chelsea", "astronaut", "coffee", "rocket", "hubble", "ihc"):
        assert example_path(name).is_file()
    assert resolve_image_argument("example:chelsea") == str(example_path("chelsea"))
    assert resolve_image_argument("photo.jpg") == "photo.jpg"


def test_the_paintings_ship_with_stylekit() -> None:
    from PIL import Image

    from stylekit.examples import PAINTINGS

    assert len(PAINTINGS) == 8
    for name, credit in PAINTINGS.items():
        path = example_path(name)
        assert path.is_file() and path.stat().st_size <= 200 * 1024, name
        assert max(Image.open(path).size) <= 768
        # Credited: artist, title, year and collection.
        assert credit.count(",") >= 2 and "(" in credit and any(c.isdigit() for c in credit)
        assert EXAMPLES[name].license == "public domain"


def test_unknown_example_lists_the_known_ones() -> None:
    with pytest.raises(ImageError, match="chelsea"):
        example_path("mona_lisa")
