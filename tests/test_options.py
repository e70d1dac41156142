"""What the commands share (stylekit/options.py), and the layering it keeps: the command line
is the top, nothing below it imports it."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import stylekit
from stylekit.errors import StylekitError
from stylekit.options import check_output

PACKAGE = Path(stylekit.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (functions too), as absolute names."""
    package = ".".join(("stylekit", *path.relative_to(PACKAGE).parent.parts))
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] \
                if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_below_the_command_line_imports_it() -> None:
    """stylekit/cli.py and stylekit/video/command.py imported each other; the option helpers
    both use now live in stylekit/options.py."""
    importers = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                       if path.name not in ("cli.py", "__main__.py")
                       and "stylekit.cli" in _imported_modules(path))
    assert importers == []


def test_an_unwritable_output_is_refused_naming_it(tmp_path: Path) -> None:
    assert check_output(tmp_path / "fine.png") == tmp_path / "fine.png"
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(StylekitError, match=r"cannot write .*taken\.png: Is a directory"):
        check_output(tmp_path / "taken.png")
    if os.path.isdir("/proc/self"):  # not writable, even by root
        with pytest.raises(StylekitError, match=r"^cannot write /proc/out\.png: ") as caught:
            check_output("/proc/out.png")
        assert ".tmp" not in str(caught.value)
