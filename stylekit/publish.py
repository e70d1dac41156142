"""``stylekit publish``: upload the package's ``weights/`` folder, with model cards, to the Hub.

The Hub repository then mirrors ``weights/`` path for path, which is where :mod:`stylekit.hub`
looks when a file is not present locally. Before anything is sent, every file that the weight
table pins with a sha256 is checked, so a stale or damaged file is never published.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import WeightsError
from .hub import SHIPPED_WEIGHTS_DIR, STYLEKIT_HUB_REPO, WEIGHTS, sha256_of

logger = logging.getLogger(__name__)


def check_weights_folder(folder: Path) -> list[str]:
    """The files that will be uploaded; raises :class:`WeightsError` for pinned files whose
    content differs from the table, and for model folders without a model card."""
    if not folder.is_dir():
        raise WeightsError(f"weights folder {folder} does not exist")
    problems = []
    for spec in WEIGHTS.values():
        if spec.local_path and spec.sha256 and (folder / spec.local_path).is_file():
            actual = sha256_of(folder / spec.local_path)
            if actual != spec.sha256:
                problems.append(f"{spec.local_path}: sha256 {actual} but the table pins "
                                f"{spec.sha256}")
    for model in folder.glob("*/*/model.safetensors"):
        if not (model.parent / "README.md").is_file():
            problems.append(f"{model.parent}: no README.md model card")
    if problems:
        raise WeightsError("not publishing: " + "; ".join(problems))
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _connection_errors() -> tuple[type[Exception], ...]:
    """What the client raises when the Hub cannot be reached. The errors of ``requests``
    (huggingface_hub 0.x) are OSErrors, but those of ``httpx`` (1.x) and ``httpx2`` (2.x) are
    not: a refused connection or a timeout in ``create_repo`` would escape as a traceback."""
    import contextlib
    import importlib

    errors: list[type[Exception]] = [OSError]
    for name in ("httpx2", "httpx"):
        with contextlib.suppress(ImportError):
            errors.append(importlib.import_module(name).TransportError)
    return tuple(errors)


def publish(repo_id: str = STYLEKIT_HUB_REPO, folder: Path = SHIPPED_WEIGHTS_DIR,
            private: bool = False, message: str = "Upload stylekit weights") -> str:
    """Create ``repo_id`` if needed and upload ``folder``; returns the new commit's hash."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    files = check_weights_folder(folder)
    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=str(folder),
                                 commit_message=message, repo_type="model")
    except HfHubHTTPError as exc:
        hint = " (log in with `hf auth login` or set HF_TOKEN)" if "401" in str(exc) else ""
        reason = str(exc).splitlines()[0]
        raise WeightsError(f"upload to {repo_id} failed: {reason}{hint}") from None
    except _connection_errors() as exc:
        raise WeightsError(
            f"upload to {repo_id} failed: the Hub is unreachable ({exc})"
        ) from None
    commit = getattr(info, "oid", None) or str(info)
    logger.info("uploaded %d files to %s at commit %s", len(files), repo_id, commit)
    return commit
