"""bench/video.py produces the figures the README gives for it: the flow_blend sweep and the
cost of the optical flow per preset (they were quoted with no script behind them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("av", reason="the video extra is not installed")
pytest.importorskip("cv2", reason="the video extra is not installed")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import video as bench  # noqa: E402


def test_the_flow_blend_sweep_is_measured(tmp_path: Path) -> None:
    out = tmp_path / "video.json"
    bench.main(["--frames", "3", "--size", "96", "--skip", "quality", "speed",
                "--flow-blends", "0.8", "1", "--json", str(out)])
    rows = json.loads(out.read_text())["flow_blend"]
    assert set(rows) == {"frame_by_frame", "0.8", "1.0"}
    for error, style in rows.values():
        assert error >= 0 and style > 0


def test_the_flow_is_timed_for_each_preset(tmp_path: Path) -> None:
    source = bench._clip_file(tmp_path, 96, 64, 3)
    seconds = bench.flow_seconds(source)
    assert list(seconds) == ["ultrafast", "fast", "medium"]
    assert all(0 < s < 5 for s in seconds.values())
