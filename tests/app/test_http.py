"""The Gradio app through its real HTTP API: gradio_client against the app served in-process
(``stylekit.app``, with the tiny test models of the ``live_app`` fixture)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import stylekit

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from stylekit.app.profile import LIMITS, MAX_SIDE  # noqa: E402
from stylekit.app.widgets import visible_params, widget_value  # noqa: E402


@pytest.fixture(scope="module")
def client(live_app) -> Client:
    return Client(live_app[1], verbose=False)


def method_args(method: str, content: Path | None, style: Path | None,
                **overrides: Any) -> list[Any]:
    """The positional inputs of a method tab: four images, then every visible setting."""
    values = {s.name: widget_value(method, s) for s in visible_params(method)}
    values.update(overrides)
    images = [handle_file(str(p)) if p else None for p in (content, style)]
    return [*images, None, None, *values.values()]


def plot_spec(plot: Any) -> dict[str, Any] | None:
    """The Vega-Lite spec of a loss-plot output (a ``gr.Plot`` value); None for no plot."""
    return json.loads(plot["plot"]) if isinstance(plot, dict) and plot.get("plot") else None


def plot_rows(plot: dict[str, Any]) -> list[dict[str, Any]]:
    """The data rows of a loss-plot output: ``step``, ``loss`` and ``term``."""
    spec = plot_spec(plot)
    assert spec is not None, plot
    return spec["data"]["values"]


def assert_image_file(path: str, min_side: int = 16) -> Image.Image:
    image = Image.open(path)
    image.load()
    assert min(image.size) >= min_side
    return image


def test_a_tab_per_registered_method(live_app) -> None:
    import httpx

    config = httpx.get(live_app[1] + "config").json()  # what the browser builds the page from
    labels = {c["props"].get("label") for c in config["components"] if c["type"] == "tabitem"}
    assert set(stylekit.list_stylizers()) <= labels
    assert {"Compare", "Learn"} <= labels


@pytest.mark.parametrize("method", stylekit.list_stylizers())
def test_each_method_tab_returns_a_real_result(live_app, client, content_path, style_path,
                                               method) -> None:
    model = {"model": "tiny_test"} if stylekit.get_stylizer_class(method).model_kind else {}
    image, _gallery, _curve, status = client.predict(
        *method_args(method, content_path, style_path, size=96, **model),
        api_name=f"/{method}")
    result = assert_image_file(image)
    assert max(result.size) == 96
    assert "done in" in status


def test_gatys_streams_intermediate_images_before_the_final_one(live_app, client, content_path,
                                                                style_path) -> None:
    job = client.submit(*method_args("gatys", content_path, style_path, size=64, steps=12),
                        api_name="/gatys")
    updates = list(job)  # every streamed (image, gallery, curve, status)
    galleries = [len(u[1]) for u in updates if isinstance(u[1], list)]
    assert max(galleries) >= 3  # snapshots at steps 3, 6, 9 (save_every 3), before step 12
    assert len(updates) >= 4
    assert "done in" in updates[-1][3]
    curve = plot_rows(updates[-1][2])
    assert {row["term"] for row in curve} >= {"total", "content", "style"}


def test_gatys_shows_its_one_pass_start_first_and_the_expected_time(live_app, client,
                                                                    content_path,
                                                                    style_path) -> None:
    """The default run starts from the arbitrary network's picture: it is the first picture
    shown (step 0, before any step), and the status says how long the run should take."""
    job = client.submit(*method_args("gatys", content_path, style_path, size=64, steps=6),
                        api_name="/gatys")
    updates = list(job)
    assert re.search(r"expected about \d+ s", updates[0][3]), updates[0][3]
    statuses = [u[3] for u in updates]
    start = next(i for i, status in enumerate(statuses) if "step 0 of 6" in status)
    assert start < next(i for i, status in enumerate(statuses) if "step 1 of 6" in status)
    assert [item["caption"] for item in updates[start][1]] == ["step 0"]
    assert assert_image_file(updates[start][0]).size == assert_image_file(updates[-1][0]).size


def test_the_gatys_loss_plot_grows_during_the_run_on_a_log_axis(live_app, client, content_path,
                                                              style_path) -> None:
    """The plot is sent again every few steps, each time with more steps drawn, on a log axis
    whose ticks are loss values (not their powers of ten)."""
    job = client.submit(*method_args("gatys", content_path, style_path, size=64, steps=12),
                        api_name="/gatys")
    specs = [spec for u in list(job) if (spec := plot_spec(u[2])) is not None]
    drawn = [max(row["step"] for row in spec["data"]["values"]) for spec in specs]
    assert len(specs) >= 3 and drawn == sorted(drawn) and drawn[0] < drawn[-1] == 12, drawn
    captions = [" ".join(spec["title"]["text"]) for spec in specs]
    assert [int(re.search(r"drawn up to step (\d+) of 12", c)[1]) for c in captions] == drawn
    y = specs[-1]["encoding"]["y"]
    assert y["scale"]["type"] == "log"
    losses = [row["loss"] for row in specs[-1]["data"]["values"]]
    ticks = y["axis"]["values"]
    assert ticks[0] <= min(losses) and max(losses) <= ticks[-1]
    assert all(re.fullmatch(r"[\d,.]+( million| billion)?", tick) for tick in
               json.loads(y["axis"]["labelExpr"].split("[indexof(")[0])), y["axis"]


def running(job: Any) -> bool:
    """The job has sent a first update and not ended."""
    return bool(job.outputs()) and not job.done()


def test_stop_cancels_a_running_gatys_job_and_frees_it(live_app, client, content_path,
                                                        style_path, wait_for) -> None:
    short = method_args("gatys", content_path, style_path, size=64, steps=10)
    started = time.monotonic()
    client.predict(*short, api_name="/gatys")
    alone = time.monotonic() - started
    job = client.submit(*method_args("gatys", content_path, style_path, size=128,
                                     steps=LIMITS["steps"]), api_name="/gatys")
    assert wait_for(lambda: running(job), 60), "the run never started"
    time.sleep(1.0)
    queued = client.submit(*short, api_name="/gatys")  # one Gatys run at a time: it waits
    job.cancel()
    cancelled = time.monotonic()
    # The long run would take minutes: it must end within a step or two, freeing the worker.
    image, *_ = queued.result(timeout=120)
    assert time.monotonic() - cancelled < alone + 10, "the cancelled run kept computing"
    assert_image_file(image)


def test_a_long_gatys_run_does_not_block_the_one_pass_tabs(live_app, client, content_path,
                                                            style_path, wait_for) -> None:
    job = client.submit(*method_args("gatys", content_path, style_path, size=128,
                                     steps=LIMITS["steps"]), api_name="/gatys")
    try:
        assert wait_for(lambda: running(job), 60), "the run never started"
        image, *_ = client.predict(*method_args("fast", content_path, None, size=64,
                                                model="tiny_test"), api_name="/fast")
        assert_image_file(image)
        assert running(job), "the Gatys run should still be going"
    finally:
        job.cancel()


def served_files(value: Any) -> list[Path]:
    """The server-side files in an API answer (a client made with ``download_files=False``)."""
    if isinstance(value, dict):
        found = [Path(value["path"])] if isinstance(value.get("path"), str) else []
        return found + [f for v in value.values() for f in served_files(v)]
    if isinstance(value, (list, tuple)):
        return [f for v in value for f in served_files(v)]
    return []


@pytest.mark.parametrize("method", ["fast", "gatys"])
def test_a_file_once_served_is_never_written_again(live_app, content_path, style_path,
                                                   method) -> None:
    """Two identical requests (a class running the same example). Before, Gradio saved both
    results under one name made from the content, rewriting the first while it could still
    be downloading: "Too little data for declared Content-Length", a cut-off picture."""
    client = Client(live_app[1], verbose=False, download_files=False)
    model = {"model": "tiny_test"} if method == "fast" else {"steps": 10}
    args = method_args(method, content_path, style_path, size=64, **model)
    first = served_files(client.predict(*args, api_name=f"/{method}"))
    assert len(first) >= (1 if method == "fast" else 3)  # the picture (and the gallery)
    before = {path: path.stat() for path in first}
    time.sleep(0.05)
    second = served_files(client.predict(*args, api_name=f"/{method}"))
    assert second
    for path, stat in before.items():
        after = path.stat()
        assert (after.st_ino, after.st_mtime_ns, after.st_size) == \
            (stat.st_ino, stat.st_mtime_ns, stat.st_size), f"{path.name} was written again"


def test_a_non_image_upload_is_a_readable_error_and_the_app_keeps_serving(
        live_app, client, tmp_path, content_path) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not a picture")
    with pytest.raises(Exception, match="not an image|cannot identify|image file"):
        client.predict(*method_args("fast", bogus, None, model="tiny_test"),
                       api_name="/fast")
    image, *_ = client.predict(*method_args("fast", content_path, None, size=64,
                                            model="tiny_test"), api_name="/fast")
    assert_image_file(image)


def test_big_uploads_are_shrunk_and_said(live_app, client, tmp_path) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (MAX_SIDE + 300, 200), (120, 30, 200)).save(big)
    image, _gallery, _curve, status = client.predict(
        *method_args("fast", big, None, size=MAX_SIDE, model="tiny_test"),
        api_name="/fast")
    assert max(assert_image_file(image).size) <= MAX_SIDE
    assert "was resized" in status


def test_compare_runs_every_method_with_times(live_app, client, content_path,
                                              style_path) -> None:
    from stylekit.app.handlers import methods_with_models

    models = ["tiny_test"] * len(methods_with_models())
    gallery, times = client.predict(handle_file(str(content_path)), handle_file(str(style_path)),
                                    *models, 64, 10, api_name="/compare")
    captions = [item["caption"] for item in gallery]
    assert len(captions) == len(stylekit.list_stylizers()), times
    # One-pass methods count no steps; the times are said once, under the pictures.
    assert "step 1" not in times and not re.search(r"\d s\b", times), times
    for method in stylekit.list_stylizers():
        assert any(c.startswith(method) and c.endswith(" s") for c in captions), captions


def test_learn_feature_maps_and_grams(client, content_path, style_path) -> None:
    grid, summary = client.predict(handle_file(str(content_path)), "relu3_1", 8,
                                   api_name="/features")
    assert_image_file(grid, 64)
    assert "relu3_1" in summary and "256 channels" in summary
    grams = client.predict(handle_file(str(style_path)), ["relu1_1", "relu2_1"],
                           api_name="/grams")
    assert len(grams) == 2
    for item in grams:
        assert_image_file(item["image"], 64)


def test_learn_layer_grid_and_init_race(client, content_path, style_path) -> None:
    cells = client.predict(handle_file(str(content_path)), handle_file(str(style_path)),
                           api_name="/layer_grid")
    assert len(cells) == 6  # 2 content presets x 3 style presets
    race, curve = client.predict(handle_file(str(content_path)), handle_file(str(style_path)),
                                 api_name="/init_race")
    captions = " ".join(item["caption"] for item in race)
    assert "from noise" in captions and "from content" in captions
    terms = {row["term"] for row in plot_rows(curve)}
    assert terms == {"from noise: total", "from content: total"}


def test_the_api_names_every_parameter_and_accepts_what_it_advertises(live_app, client,
                                                                       content_path,
                                                                       style_path) -> None:
    api = client.view_api(return_format="dict", print_info=False)
    params = api["named_endpoints"]["/gatys"]["parameters"]
    names = [p["parameter_name"] for p in params]
    assert names[:4] == ["photo", "style_image", "second_style_image", "mask"]
    assert {s.name for s in visible_params("gatys")} <= set(names)
    assert not [n for n in names if n.startswith("param_")]
    tv_power = next(p for p in params if p["parameter_name"] == "tv_power")
    assert "'1'" in tv_power["python_type"]["type"]  # advertised as a string choice ...
    image, *_ = client.predict(  # ... and accepted as one
        *method_args("gatys", content_path, style_path, size=64, steps=10, tv_power="1"),
        api_name="/gatys")
    assert_image_file(image)


def test_a_7000_px_upload_is_shrunk_and_a_bomb_is_refused_by_name(live_app, client,
                                                                    tmp_path) -> None:
    big = tmp_path / "holiday.png"
    Image.new("RGB", (7000, 7000), (90, 140, 200)).save(big)
    image, _gallery, _curve, status = client.predict(
        *method_args("fast", big, None, size=256, model="tiny_test"), api_name="/fast")
    assert_image_file(image)
    assert "The photo (7000x7000) was resized" in status
    bomb = tmp_path / "bomb.png"
    Image.new("L", (11000, 11000)).save(bomb)
    with pytest.raises(Exception) as caught:
        client.predict(*method_args("fast", bomb, None, model="tiny_test"),
                       api_name="/fast")
    message = str(caught.value)
    assert "The photo is 11000x11000 pixels (121 megapixels)" in message
    assert "up to 100 megapixels" in message
    assert "/tmp" not in message and "max_pixels" not in message


def test_a_16_bit_grey_upload_keeps_its_brightness(live_app, client, tmp_path) -> None:
    import numpy as np

    grey = tmp_path / "scan.png"
    ramp = np.tile(np.linspace(16384, 49151, 128, dtype=np.uint16), (96, 1))  # 25% .. 75%
    Image.fromarray(ramp).save(grey)  # mode I;16
    assert Image.open(grey).mode.startswith("I")
    image, *_ = client.predict(*method_args("fast", grey, None, size=128,
                                            model="tiny_test", strength=0.0),
                               api_name="/fast")
    values = np.asarray(assert_image_file(image).convert("L"), dtype=float)
    # strength 0 gives the photo back: the ramp from about 64 to 191 on 8 bits.
    assert abs(values[:, :8].mean() - 66) < 6 and abs(values[:, -8:].mean() - 189) < 6


def test_a_user_mistake_is_one_log_line_not_a_traceback(live_app, client, tmp_path, capfd,
                                                         caplog, content_path) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not a picture")
    with caplog.at_level("INFO", logger="stylekit.app"):
        with pytest.raises(Exception, match="not an image"):
            client.predict(handle_file(str(bogus)), "relu3_1", 8, api_name="/features")
        with pytest.raises(Exception, match="Please add a photo"):
            client.predict(None, None, "relu3_1", api_name="/whitening")
        # Gradio's own checks of a sent value, with the field named.
        with pytest.raises(Exception, match="channels shown.*greater than maximum"):
            client.predict(handle_file(str(content_path)), "relu3_1", 999, api_name="/features")
        with pytest.raises(Exception, match="VGG-19 layer.*relu9_9"):
            client.predict(handle_file(str(content_path)), "relu9_9", 8, api_name="/features")
    err = capfd.readouterr().err
    assert "Traceback" not in err, err[-2000:]
    assert caplog.text.count("refused a request") == 4


def test_the_server_enforces_its_limits_whatever_the_request(live_app, client, content_path,
                                                             style_path) -> None:
    """The widgets' ranges are no limit: the run's final config is checked on the server.
    Gatys' scales (free text) override the size: "1200" with the size at 64 painted at 1200 px."""
    too_large = MAX_SIDE + 176
    with pytest.raises(AppError, match=rf"scales: {too_large} px is larger than this server "
                                       rf"paints \(at most {MAX_SIDE} px"):
        client.predict(*method_args("gatys", content_path, style_path, size=64, steps=10,
                                    scales=str(too_large)), api_name="/gatys")
    with pytest.raises(AppError, match=rf"style image would be measured at {2 * MAX_SIDE} px"):
        client.predict(*method_args("gatys", content_path, style_path, size=MAX_SIDE, steps=10,
                                    style_scale=2.0), api_name="/gatys")
    with pytest.raises(AppError, match=rf"steps: .*greater than maximum.*{LIMITS['steps']}"):
        client.predict(*method_args("gatys", content_path, style_path, size=64,
                                    steps=LIMITS["steps"] + 10), api_name="/gatys")


def test_a_bad_mask_is_named_as_the_user_named_it(live_app, client, tmp_path, content_path,
                                                  style_path) -> None:
    whole = tmp_path / "whole.png"
    Image.new("L", (96, 64), 200).save(whole)
    mask = tmp_path / "my mask.png"
    mask.write_bytes(whole.read_bytes()[:60])  # the header, then nothing: truncated
    args = method_args("wct", content_path, style_path, size=64)
    args[2:4] = [handle_file(str(style_path)), handle_file(str(mask))]
    with pytest.raises(AppError) as caught:
        client.predict(*args, api_name="/wct")
    message = str(caught.value)
    assert "'my mask.png'" in message and "truncated" in message, message
    assert "/tmp" not in message and "gradio" not in message, message
