"""The built wheel carries everything: weights, model cards and example paintings.

Builds the wheel with ``pip wheel --no-deps``, installs it into a new virtual environment and,
from a folder outside the repository, stylizes with every method and every shipped model. The
new environment borrows stylekit's dependencies (torch, ...) from this one through a ``.pth``
line, which only appends a folder to ``sys.path``: the editable install of this checkout is not
activated there, so ``import stylekit`` can only find the wheel's copy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from stylekit.examples import EXAMPLES
from stylekit.hub import WEIGHTS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

#: Run inside the new environment, from a folder outside the repository.
SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import stylekit
    from stylekit.examples import EXAMPLES, example_path
    from stylekit.registry import get_stylizer_class

    prefix = Path(sys.prefix).resolve()
    report = {"stylekit": stylekit.__file__, "runs": []}
    assert Path(stylekit.__file__).resolve().is_relative_to(prefix), stylekit.__file__
    for name, example in EXAMPLES.items():
        if example.package == "stylekit":
            assert example_path(name).resolve().is_relative_to(prefix), name
    quick = {"gatys": {"size": 48, "steps": 2, "scales": (48,)}}
    for method in stylekit.list_stylizers():
        cls = get_stylizer_class(method)
        models = cls.model_kind.names() if cls.model_kind else [None]
        for model in models:
            params = dict(quick.get(method, {"size": 64}))
            if model is not None:
                source = cls.model_kind.source(model)
                assert source.startswith("local ") and str(prefix) in source, (model, source)
                params["model"] = model
            stylizer = stylekit.create_stylizer(method, device="cpu", **params)
            style = "example:starry_night" if cls.needs_style else None
            out = stylizer.stylize(str(example_path("chelsea")),
                                   str(example_path("starry_night")) if style else None)
            report["runs"].append([method, model, list(out.size)])
    print(json.dumps(report))
""")


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          timeout=60)


def test_building_leaves_the_checkout_clean(tmp_path: Path) -> None:
    """`pip wheel --no-deps .` in the checkout left an un-ignored wheel there: what a build
    writes (the wheel where it is asked to go, build/, *.egg-info/, dist/) is ignored."""
    if shutil.which("git") is None or _git("rev-parse").returncode != 0:
        pytest.skip("needs git and a git checkout")
    before = _git("status", "--porcelain").stdout
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, timeout=600)
    assert _git("status", "--porcelain").stdout == before
    wheel = next(tmp_path.glob("stylekit-*.whl")).name
    # The package index's page: docs/PYPI.md, not the README with the Space's front matter.
    with zipfile.ZipFile(tmp_path / wheel) as archive:
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        page = archive.read(metadata).decode().split("\n\n", 1)[1]
    assert page.startswith("# stylekit") and "sdk: gradio" not in page
    # Where `pip wheel --no-deps .` and `pip wheel --no-deps -w dist .` put it.
    for place in (wheel, f"dist/{wheel}", "build/lib/stylekit/cli.py",
                  "stylekit.egg-info/PKG-INFO"):
        assert _git("check-ignore", "-q", place).returncode == 0, f"{place} is not ignored"


def test_the_wheel_works_outside_the_repository(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, timeout=600)
    wheel = next(dist.glob("stylekit-*.whl"))

    # Every shipped file is in the wheel, with its model card.
    names = set(zipfile.ZipFile(wheel).namelist())
    for spec in WEIGHTS.values():
        if spec.local_path and (ROOT / "stylekit" / "weights" / spec.local_path).is_file():
            folder = Path("stylekit/weights") / spec.local_path
            assert str(folder) in names, f"{folder} is missing from the wheel"
            assert str(folder.parent / "README.md") in names
    for example in EXAMPLES.values():
        if example.package == "stylekit":
            assert f"stylekit/{example.path}" in names, f"{example.path} is missing"

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                   check=True, timeout=300)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # Dependencies from this environment, after the new one's own packages.
    (Path(purelib) / "borrowed_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run([str(python), "-c", SCRIPT], cwd=outside, capture_output=True,
                            text=True, timeout=900, env={"PATH": "/usr/bin:/bin",
                                                         "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert str(env) in report["stylekit"]
    methods = {run[0] for run in report["runs"]}
    from stylekit import list_stylizers

    assert methods == set(list_stylizers())
    assert all(max(size) in (48, 64) for _, _, size in report["runs"])
