"""bench/quality.py's speed figure: the painting cached, so each painting's first photo (which
measures the painting) is not averaged in."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from quality import seconds_per_photo  # noqa: E402


def _row(photo: str, **seconds: float) -> dict:
    return {"photo": photo, **{m: {"content": 1.0, "style": 1.0, "seconds": s}
                               for m, s in seconds.items()}}


def test_the_speed_figure_leaves_out_each_paintings_first_photo() -> None:
    report = {
        "udnie": {"per_photo": [_row("a", wct=9.0, adain=5.0), _row("b", wct=2.0, adain=1.0),
                                _row("c", wct=2.2, adain=1.2)]},
        "scream": {"per_photo": [_row("a", wct=7.0), _row("b", wct=1.8)]},
    }
    cached, first = seconds_per_photo(report, "wct")
    assert round(cached, 6) == 2.0 and first == 8.0  # (2 + 2.2 + 1.8) / 3; (9 + 7) / 2
    assert seconds_per_photo(report, "adain") == (1.1, 5.0)
    assert seconds_per_photo(report, "fast") == (None, None)
