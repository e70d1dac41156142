"""What gets installed: the Space's requirements.txt against the package's metadata, pinned
linters, and no dependency the library does not need."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirements(lines: list[str]) -> dict[str, str]:
    """Requirement lines as ``{normalised name: version specifier}``."""
    parsed = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): str(r.specifier) for r in parsed}


def test_the_space_requirements_are_the_package_and_its_app_extra() -> None:
    """requirements.txt (what a Hugging Face Space installs) repeated the app extra by hand.
    Gradio is the one left out: the Space gets the version its README front matter names
    (``sdk_version``), which must be one the app extra allows."""
    lines = [line.split("#")[0].strip()
             for line in (ROOT / "requirements.txt").read_text().splitlines()]
    wanted = _requirements([*PROJECT["dependencies"],
                            *PROJECT["optional-dependencies"]["app"]])
    gradio = wanted.pop("gradio")
    assert _requirements([line for line in lines if line]) == wanted
    front_matter = (ROOT / "README.md").read_text().split("---")[1]
    [sdk_version] = re.findall(r"^sdk_version:\s*\"?([\w.]+)", front_matter, re.MULTILINE)
    assert SpecifierSet(gradio).contains(sdk_version)


def test_the_linters_ci_runs_are_pinned() -> None:
    test_extra = _requirements(PROJECT["optional-dependencies"]["test"])
    for linter in ("ruff", "mypy"):
        assert test_extra[linter].startswith("=="), f"{linter} is not pinned"


def test_the_library_and_its_trainers_need_no_torchvision(tmp_path: Path) -> None:
    """torchvision was a dependency for one call (the training sample grids)."""
    assert "torchvision" not in _requirements(PROJECT["dependencies"])
    code = (
        "import sys; sys.modules['torchvision'] = None  # importing it now fails\n"
        "import torch, stylekit, stylekit.cli\n"
        "from stylekit.training import adain, arbitrary, fast, reconstruction\n"
        "from stylekit.training.checkpoint import save_grid\n"
        f"save_grid([torch.rand(3, 3, 8, 8), torch.rand(3, 3, 8, 8)], "
        f"__import__('pathlib').Path({str(tmp_path / 'grid.png')!r}))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    from PIL import Image

    assert Image.open(tmp_path / "grid.png").size == (3 * 10 + 2, 2 * 10 + 2)


def _pip_installs(text: str) -> set[str]:
    """The ``pip install`` commands of a Markdown text, a checkout's ``-e ".[x]"`` said as the
    package's ``"stylekit[x]"``."""
    commands = set()
    for command in re.findall(r"pip install [^`\n&]*", text):
        command = command.strip().rstrip(")")
        command = re.sub(r'-e "\.(\[\w+\])"', r'"stylekit\1"', command)
        commands.add(re.sub(r"-e \.$", "stylekit", command))
    return commands


def test_the_package_page_is_not_the_space_readme() -> None:
    """The README's Space front matter (title:, sdk: ...) became the package's description on
    the index: the package has its own page, whose install commands are the README's."""
    assert PROJECT["readme"] == "docs/PYPI.md"
    page = (ROOT / PROJECT["readme"]).read_text()
    readme = (ROOT / "README.md").read_text()
    assert readme.startswith("---\n")  # the Space's, kept there
    assert page.startswith("# stylekit\n") and not re.search(r"^(sdk|app_file|emoji):", page,
                                                             re.MULTILINE)
    installs = _pip_installs(page)
    assert {"pip install stylekit", 'pip install "stylekit[app]"',
            "pip install torch --index-url https://download.pytorch.org/whl/cpu"} <= installs
    assert installs <= _pip_installs(readme), installs - _pip_installs(readme)
    for extra in re.findall(r"stylekit\[(\w+)\]", page):
        assert extra in PROJECT["optional-dependencies"], extra


def test_the_description_names_every_method() -> None:
    from stylekit import list_stylizers

    description = PROJECT["description"].lower()
    for method in [*list_stylizers(), "video"]:
        assert re.search(rf"\b{method}\b", description), method
