"""The page's tabs: one per method (built from its config), Compare, Learn and Video."""

from .compare import compare_tab
from .learn import learn_tab
from .method import method_tab
from .video import video_tab

__all__ = ["compare_tab", "learn_tab", "method_tab", "video_tab"]
