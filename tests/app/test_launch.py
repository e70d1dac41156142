"""Starting the app: ``python app.py`` and ``stylekit app``, and what happens without gradio."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_the_library_the_cli_and_the_app_package_import_without_gradio() -> None:
    done = run_python("import sys, stylekit, stylekit.cli, stylekit.lessons, stylekit.app, "
                      "stylekit.app.launch; print(sorted(m for m in sys.modules "
                      "if m.split('.')[0] in ('gradio', 'pandas')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_stylekit_app_without_gradio_says_what_to_install() -> None:
    # sys.modules["gradio"] = None makes `import gradio` fail as if it were not installed.
    done = run_python("import sys; sys.modules['gradio'] = None; from stylekit.cli import main; "
                      "sys.exit(main(['app', '--port', '0']))")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert 'the app needs gradio' in done.stderr and 'pip install "stylekit[app]"' in done.stderr


def test_building_the_app_does_no_model_work() -> None:
    pytest.importorskip("gradio")
    done = run_python(
        "from stylekit.app import build, handlers; import stylekit.visualize as v; build(); "
        "print(handlers.stylizer.cache_info().currsize, "
        "handlers.model_thumbnails.cache_info().currsize, "
        "v._shared_network.cache_info().currsize)")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "0", "0"]  # no stylizer, thumbnail or VGG made


@pytest.mark.parametrize("command", [["app.py"], ["-m", "stylekit", "app"]],
                         ids=["python app.py", "stylekit app"])
def test_both_commands_serve_the_app(tmp_path, command) -> None:
    pytest.importorskip("gradio_client")
    sys.path.insert(0, str(ROOT / "bench"))
    import load

    log = tmp_path / "app.log"
    server = load.start_server(max_queue=4, log=log, command=[sys.executable, *command])
    try:
        from gradio_client import Client

        api = Client(server.url, verbose=False).view_api(return_format="dict",
                                                         print_info=False)
        assert {"/gatys", "/fast", "/compare", "/layer_grid"} <= set(api["named_endpoints"])
        # The console names the app's own flag, not Gradio's launch() argument.
        deadline = time.monotonic() + 60
        while "--share" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        said = log.read_text()
        assert server.url.rstrip("/") in said and "add --share for a public link" in said, said
        assert "share=True" not in said and "launch()" not in said, said
    finally:
        server.stop()
