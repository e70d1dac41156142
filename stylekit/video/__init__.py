"""Video style transfer with temporal consistency (Ruder et al. 2016), for every method.

Needs the ``video`` extra (``pip install "stylekit[video]"``: PyAV and OpenCV's headless
wheel); importing this package does not import them, using it does.

- :func:`stylize_video`: a file in, a stylized file out (streaming, audio copied, atomic);
- :func:`stylize_frames`: the same on frames in memory;
- :mod:`.flow`, :mod:`.warp`, :mod:`.consistency`: optical flow and its reliable pixels,
  warping, blending, the change of scale, the temporal loss and the warping error;
- :mod:`.canvas`: the one-pass methods' strokes carried along the flow, resampled once;
- :mod:`.captions`: the side-by-side halves' captions, burned into the frames;
- :mod:`.io`: reading and writing video files.
"""

from .io import VideoError, VideoInfo, probe, read_frames, write_video
from .runner import (
    StylizedFrame,
    VideoConfig,
    VideoProgress,
    VideoResult,
    stylize_frames,
    stylize_video,
)

__all__ = [
    "StylizedFrame",
    "VideoConfig",
    "VideoError",
    "VideoInfo",
    "VideoProgress",
    "VideoResult",
    "probe",
    "read_frames",
    "stylize_frames",
    "stylize_video",
    "write_video",
]
