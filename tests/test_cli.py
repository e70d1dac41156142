"""The command line, end to end."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylekit.cli import main

QUICK = ["--size", "48", "--scales", "32,48", "--steps", "4", "-q"]


def test_stylize_end_to_end(tmp_path: Path, capsys) -> None:
    out = tmp_path / "result.png"
    steps = tmp_path / "steps"
    code = main(["stylize", "example:chelsea", "--style", "example:hubble", *QUICK,
                 "--save-every", "2", "--save-dir", str(steps), "-o", str(out)])
    assert code == 0
    assert Image.open(out).size == (48, 32)
    # Step 0 is the start: the arbitrary network's picture the default run refines.
    assert sorted(p.name for p in steps.iterdir()) == ["result_step00000.png",
                                                        "result_step00002.png",
                                                        "result_step00004.png"]


def test_two_styles_and_options(tmp_path: Path) -> None:
    out = tmp_path / "blend.jpg"
    code = main(["stylize", "example:chelsea", "--style", "example:hubble", "--style",
                 "example:ihc", "--style-weights", "0.7", "0.3", "--content-layers", "relu5_2",
                 "--style-layers", "shallow", "--optimizer", "adam", "--lr", "0.05",
                 "--preserve-color", "luminance", "--init", "noise", "--seed", "1", *QUICK,
                 "-o", str(out)])
    assert code == 0 and Image.open(out).format == "JPEG"


def test_fast_with_a_shipped_model(tmp_path: Path) -> None:
    """The issue's command for the fast method (also the path every one-pass method takes)."""
    out = tmp_path / "fast.png"
    assert main(["stylize", "example:chelsea", "--method", "fast", "--model", "starry_night",
                 "--size", "96", "--strength", "0.8", "-q", "-o", str(out)]) == 0
    assert Image.open(out).size == (96, 64)


def test_adain_two_styles_weights_alpha_and_mask(tmp_path: Path, tiny_decoder: Path) -> None:
    """The issue's command: two styles blended with weights, alpha; and two regions by mask."""
    blend, masked = tmp_path / "blend.png", tmp_path / "masked.png"
    common = ["stylize", "example:chelsea", "--method", "adain", "--model", str(tiny_decoder),
              "--style", "example:hubble", "--style", "example:ihc", "--size", "64",
              "--style-size", "64", "-q"]
    assert main([*common, "--style-weights", "0.5", "0.5", "--alpha", "0.8", "-o",
                 str(blend)]) == 0
    mask = tmp_path / "mask.png"
    half = Image.new("L", (64, 43), 0)
    half.paste(255, (0, 0, 32, 43))
    half.save(mask)
    assert main([*common, "--mask", str(mask), "-o", str(masked)]) == 0
    assert Image.open(blend).size == Image.open(masked).size == (64, 43)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stylize", "missing.jpg", "--style", "example:hubble"], "does not exist"),
        (["stylize", "example:chelsea"], "needs a style image"),
        (["stylize", "example:chelsea", "--style", "example:hubble", "--steps", "-5"],
         "--steps must be >= 1"),
        (["stylize", "example:chelsea", "--style", "example:hubble", "-o", "x.unknown"],
         "end its name with"),
        (["stylize", "example:chelsea", "--style", "example:nope"], "unknown example"),
        (["stylize", "example:chelsea", "--style", "example:hubble", "--style-weights", "1",
          "2", "--steps", "1"], "one weight per style image"),
        (["stylize", "example:chelsea", "--style", "example:hubble", "--save-every", "2"],
         "--save-dir"),
        (["stylize", "example:chelsea", "--method", "fast", "--model", "starry_night",
          "--save-every", "2"], "drop --save-every"),
    ],
)
def test_user_errors_are_one_line_and_write_nothing(tmp_path: Path, capsys, args, message) -> None:
    out = tmp_path / "out.png"
    if "-o" not in args:
        args = [*args, "-o", str(out)]
    code = main([*args, "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_fast_takes_a_shipped_painting_as_its_style(tmp_path: Path) -> None:
    """The issue's command: --style example:NAME picks that painting's built-in style, alone
    or with the same --model."""
    outs = [tmp_path / f"{i}.png" for i in range(3)]
    common = ["stylize", "example:chelsea", "--method", "fast", "--size", "64", "-q"]
    assert main([*common, "--model", "great_wave", "-o", str(outs[0])]) == 0
    assert main([*common, "--style", "example:great_wave", "-o", str(outs[1])]) == 0
    assert main([*common, "--style", "example:great_wave", "--model", "great_wave",
                 "-o", str(outs[2])]) == 0
    first, *others = (np.asarray(Image.open(out)) for out in outs)
    assert all(np.array_equal(first, other) for other in others)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "fast", "--style", "example:great_wave", "--model", "johnson:great_wave"],
         "but --model chooses 'johnson:great_wave'"),
        (["--method", "fast", "--style", "example:hubble"], "choose one with --model NAME"),
        (["--method", "wct"], "needs a style image: pass --style PATH"),
        (["--method", "fast", "--model", "udnie", "--mask", "mask.png"],
         "needs a second style: give --blend-with NAME"),
        (["--style", "example:hubble", "--style-weights", "1", "2", "--steps", "1"],
         "--style-weights has 2 values for 1 style images"),
        (["--style", "example:hubble", "--steps", "many"], "parameter --steps must be int"),
    ],
)
def test_errors_name_options_the_command_line_way(tmp_path: Path, capsys, args,
                                                  message) -> None:
    """The library says model=NAME and 'steps' to Python callers; the command line says its
    options: --model NAME, --steps."""
    out = tmp_path / "out.png"
    assert main(["stylize", "example:chelsea", *args, "--size", "64", "-q",
                 "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert not re.search(r"\b[a-z_]+=[A-Z]|'steps'|blend_with|style_blend", err), err
    assert not out.exists()


def test_not_an_image_through_the_console_script(tmp_path: Path) -> None:
    """The installed entry point: exit status and a one-line reason, nothing written."""
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"\x00" * 100)
    out = tmp_path / "out.png"
    result = subprocess.run(
        [sys.executable, "-m", "stylekit", "stylize", str(bad), "--style", "example:hubble",
         "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("stylekit: error: content image")
    assert "not an image" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_list(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "gatys" in out and "chelsea" in out and "hubble" in out


def test_list_columns_line_up_whatever_the_names(capsys) -> None:
    """Each table's columns start where its widest entry ends (composition_vii, woman_with_hat
    and johnson:composition_vii ran into the next column)."""
    from stylekit.examples import EXAMPLES

    assert main(["list"]) == 0
    tables = capsys.readouterr().out.split("\n\n")
    assert len(tables) >= 3
    for table in tables:
        rows = [line for line in table.splitlines()[1:] if line.startswith("  ")]
        # Where each column starts: after a run of two or more spaces.
        starts = {tuple(m.end() for m in re.finditer(r" {2,}", row)) for row in rows}
        assert len(starts) == 1, (table, starts)
    examples = tables[-1].splitlines()[1:]
    assert len(examples) == len(EXAMPLES)
    for line, example in zip(examples, EXAMPLES.values(), strict=True):
        assert line.split()[:2] == [example.name, example.kind]


def test_help_shows_method_options(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["stylize", "--help"])
    out = capsys.readouterr().out
    for option in ("--content-weight", "--style-layers", "--scales", "--style-weights",
                   "--preserve-color", "--save-every"):
        assert option in out


def test_every_error_is_one_line_with_status_1(tmp_path: Path, capsys, tiny_fast_model) -> None:
    common = ["stylize", "example:chelsea", "--method", "fast", "--model", str(tiny_fast_model),
              "--size", "48"]
    # A folder that does not exist is not created.
    assert main([*common, "-o", str(tmp_path / "missing" / "out.png")]) == 1
    assert not (tmp_path / "missing").exists()
    assert "does not exist; create it first" in capsys.readouterr().err
    # An output name taken by a folder is one line, not a traceback, before any work.
    (tmp_path / "taken.png").mkdir()
    assert main([*common, "-o", str(tmp_path / "taken.png")]) == 1
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if "error" in line]
    assert "Traceback" not in err and "give -o a file name" in line
    assert f"cannot write {tmp_path / 'taken.png'}: Is a directory" in line
    assert not list((tmp_path / "taken.png").iterdir()) and not list(tmp_path.glob(".taken*"))


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_an_unwritable_output_fails_before_any_work_naming_it(tmp_path: Path, capsys) -> None:
    """Before, a Gatys run optimised to the end, then failed naming a temporary file."""
    steps = tmp_path / "steps"
    steps.mkdir()
    code = main(["stylize", "example:chelsea", "--style", "example:hubble", *QUICK,
                 "--save-every", "1", "--save-dir", str(steps), "-o", "/proc/out.png"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "cannot write /proc/out.png: " in err and ".tmp" not in err
    assert list(steps.iterdir()) == []  # not a step was taken


def test_a_size_beyond_the_photo_is_said_and_tiles_show_progress(
        tmp_path: Path, capsys, tiny_fast_model) -> None:
    """chelsea is 451x300: --size 600 enlarges it; tiles of 128x128 px make a second bar."""
    out = tmp_path / "big.png"
    code = main(["stylize", "example:chelsea", "--method", "fast", "--model",
                 str(tiny_fast_model), "--size", "600", "--max-tile-pixels", "16384",
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and Image.open(out).size == (600, 399)
    assert "the output's long side, 600 px (--size), enlarges the 451x300 photo 1.33 times" \
        in err
    tiles = re.findall(r"tiles: .*?\| *\d+/(\d+)", err)
    assert tiles and int(tiles[0]) > 4
    # Within the photo's size: no note.
    assert main(["stylize", "example:chelsea", "--method", "fast", "--model",
                 str(tiny_fast_model), "--size", "256", "-o", str(out)]) == 0
    assert "enlarges" not in capsys.readouterr().err


def test_ctrl_c_keeps_the_latest_picture(tmp_path: Path) -> None:
    """A real SIGINT to the command during a Gatys run: the picture of the last step is
    written, whole, and the message says which step. Before, nothing was written."""
    out, steps = tmp_path / "out.png", tmp_path / "steps"
    process = subprocess.Popen(
        [sys.executable, "-m", "stylekit", "stylize", "example:chelsea", "--style",
         "example:hubble", "--size", "64", "--scales", "64", "--steps", "100000",
         "--save-every", "1", "--save-dir", str(steps), "-o", str(out)],
        stderr=subprocess.PIPE, text=True,
        # A shell's background job starts with SIGINT ignored, and Python then keeps it so:
        # give the command the default, as a terminal's Ctrl-C finds it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while not (steps.is_dir() and len(list(steps.glob("*.png"))) >= 4):  # the start, 1-3
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    found = re.search(r"interrupted at step (\d+) of 100000; wrote the picture of step (\d+) "
                      r"\(64x43\) to (.+)$", err.strip())
    assert found and Path(found[3]) == out, err
    assert int(found[2]) >= 3 and int(found[1]) - int(found[2]) <= 1
    with Image.open(out) as image:
        image.load()  # whole, or this raises
        assert image.size == (64, 43)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_diverging_optimisation_is_one_line(capsys, tmp_path) -> None:
    # A style weight so large that the objective overflows at the first evaluation.
    code = main(["stylize", "example:chelsea", "--style", "example:hubble", "--size", "48",
                 "--scales", "48", "--steps", "2", "--style-weight", "1e308",
                 "-o", str(tmp_path / "never.png")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "diverged" in err and "lower --lr or the style weight" in err
    assert not (tmp_path / "never.png").exists()


def test_help_points_to_the_other_methods_and_says_defaults_once(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["stylize", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "stylekit stylize --method fast --help" in text
    assert "gatys parameters (for adain, arbitrary, fast, wct: add --method NAME before --help)" \
        in text
    with pytest.raises(SystemExit):
        main(["stylize", "--method", "fast", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: the photo's own size)." in text
    assert "(default: the photo's own size). (default: None)" not in text
    assert "--strength" in text and "--steps" not in text
