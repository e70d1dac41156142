"""Where weights come from: a local folder first, then the Hugging Face Hub.

Each downloadable file is described by a :class:`WeightSpec` (Hub repo, file name, pinned
revision, optional sha256, licence). :func:`resolve_weights` looks in the local weights folders
(``$STYLEKIT_WEIGHTS_DIR``, then the package's own ``weights/``) and otherwise calls
:func:`huggingface_hub.hf_hub_download`, which caches the file and honours ``HF_HUB_OFFLINE``
and ``HF_ENDPOINT``. Every failure becomes one :class:`WeightsError` that lists what was tried.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import WeightsError

#: The weights that ship inside the package (``stylekit/weights/``, package data of the wheel;
#: the repository's top-level ``weights`` is a link to it).
SHIPPED_WEIGHTS_DIR = Path(str(importlib.resources.files("stylekit") / "weights"))


@dataclass(frozen=True)
class WeightSpec:
    """One weights file: where it lives locally and on the Hub, and how to check it.

    Attributes:
        name: the key in :data:`WEIGHTS`.
        repo_id, filename: the file on the Hub.
        revision: see below; ``sha256``: the file's checksum, checked on every load if set.
        license: one line for the model card and ``stylekit models``.
        local_path: the file's path inside a local weights folder.

    Example:
        >>> from stylekit.vgg_weights import TORCHVISION_VGG19
        >>> TORCHVISION_VGG19.repo_id, TORCHVISION_VGG19.filename, TORCHVISION_VGG19.revision
        ('timm/vgg19.tv_in1k', 'model.safetensors', 'main')
    """

    name: str
    repo_id: str
    filename: str
    #: A branch, tag or 40-hex commit; ``None``: not published on the Hub (the local copy,
    #: shipped in the package, is the only one).
    revision: str | None = "main"
    sha256: str | None = None
    license: str = ""
    local_path: str | None = None  # relative to a local weights folder


#: The Hub repository that mirrors the package's ``weights/`` folder (``stylekit publish``).
STYLEKIT_HUB_REPO = "stylekit/stylekit-weights"
#: The commit of :data:`STYLEKIT_HUB_REPO` holding this release's weights: ``stylekit publish``
#: prints it, to be pinned here. ``None`` while they have not been published: the copies
#: inside the package are then the only ones, and no download is attempted.
STYLEKIT_HUB_REVISION: str | None = None

#: Every weights file stylekit knows, by name. Shipped weights are in the package's
#: ``weights/`` under the same relative path as on the Hub; their sha256 pins the content and
#: their revision is :data:`STYLEKIT_HUB_REVISION`.
WEIGHTS: dict[str, WeightSpec] = {}


def register_weights(spec: WeightSpec) -> WeightSpec:
    """Add a weights file to :data:`WEIGHTS` under its name (replacing one of the same name).

    Args:
        spec: the file; network modules register theirs when imported.

    Returns:
        ``spec``, so a module can keep it: ``TORCHVISION_VGG19 = register_weights(...)``.
    """
    WEIGHTS[spec.name] = spec
    return spec


def local_weight_dirs() -> list[Path]:
    """Local folders searched before the Hub, in order: ``$STYLEKIT_WEIGHTS_DIR`` if set,
    then the package's own ``weights/``.

    Returns:
        The folders (they need not exist).

    Example:
        >>> local_weight_dirs()[-1] == SHIPPED_WEIGHTS_DIR
        True
    """
    dirs = []
    if os.environ.get("STYLEKIT_WEIGHTS_DIR"):
        dirs.append(Path(os.environ["STYLEKIT_WEIGHTS_DIR"]))
    dirs.append(SHIPPED_WEIGHTS_DIR)
    return dirs


def describe_source(spec: WeightSpec) -> str:
    """Where ``spec`` would be loaded from, without downloading anything.

    Returns:
        ``"local <path>"``, ``"Hub <repo>/<file>@<revision>"`` or ``"missing: ..."``.

    Args:
        spec: the weights file.

    Example:
        >>> describe_source(WeightSpec("demo", "someone/demo", "demo.safetensors"))
        'Hub someone/demo/demo.safetensors@main'
        >>> describe_source(WeightSpec("demo", "someone/demo", "demo.safetensors", revision=None))
        'missing: not found locally, and not published on the Hub'
    """
    if spec.local_path:
        for folder in local_weight_dirs():
            if (folder / spec.local_path).is_file():
                return f"local {folder / spec.local_path}"
    if spec.revision is None:
        return "missing: not found locally, and not published on the Hub"
    return f"Hub {spec.repo_id}/{spec.filename}@{spec.revision}"


def sha256_of(path: Path) -> str:
    """The sha256 of a file as 64 hex digits, read in 1 MiB chunks.

    Args:
        path: the file.

    Returns:
        The hex digest.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "abc").write_bytes(b"abc")
        ...     sha256_of(Path(folder) / "abc")
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_weights(spec: WeightSpec) -> Path:
    """The path of a verified local copy of ``spec``'s file, downloading it if needed.

    Args:
        spec: the file to find.

    Returns:
        A local path: a local weights folder's copy, else the Hub cache's (downloaded now if
        absent). A wrong checksum or a failed download raises :class:`WeightsError` listing
        every place tried and the fix.

    Example:
        A file shipped in the package is found locally, with no download:

        >>> shipped = "fast/starry_night/model.safetensors"
        >>> spec = WeightSpec("demo", STYLEKIT_HUB_REPO, shipped, local_path=shipped)
        >>> resolve_weights(spec).parts[-3:]
        ('fast', 'starry_night', 'model.safetensors')
    """
    tried: list[str] = []
    if spec.local_path:
        for folder in local_weight_dirs():
            candidate = folder / spec.local_path
            if candidate.is_file():
                _verify(spec, candidate)
                return candidate
            tried.append(f"local file {candidate} (absent)")
    if spec.revision is None:
        raise WeightsError(
            f"cannot get weights {spec.name!r}. Tried: " + "; ".join(tried)
            + f"; it is not published on the Hub ({spec.repo_id} has no pinned revision for "
            "it). Fix: reinstall stylekit, whose package ships it (pip install "
            "--force-reinstall stylekit), or set STYLEKIT_WEIGHTS_DIR to a folder holding "
            f"{spec.local_path or spec.filename}.")
    path = hub_download(spec, tried)
    _verify(spec, path, from_hub=True)
    return path


def hub_download(spec: WeightSpec, tried: list[str] | None = None) -> Path:
    """Download (or find in the Hub cache) ``spec``'s file.

    Args:
        spec: the file; its ``repo_id``, ``filename`` and ``revision`` are used.
        tried: places already tried, for the error message.

    Returns:
        The path in the Hub cache. Failures raise :class:`WeightsError` naming every place
        tried, why each failed (offline, not found, HTTP error) and the fix.
    """
    # Imported here so that importing stylekit stays fast and never touches the network.
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    tried = list(tried or [])
    where = f"the Hub ({constants.ENDPOINT}) {spec.repo_id}/{spec.filename}@{spec.revision}"
    # LocalEntryNotFoundError subclasses EntryNotFoundError, so it is caught first.
    try:
        return Path(hf_hub_download(spec.repo_id, spec.filename, revision=spec.revision))
    except LocalEntryNotFoundError:
        offline = constants.HF_HUB_OFFLINE
        reason = (
            "HF_HUB_OFFLINE is set and no cached copy exists" if offline
            else "the Hub could not be reached and no cached copy exists"
        )
        hint = "connect to the internet once (or unset HF_HUB_OFFLINE), or place the file locally"
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError) as exc:
        reason = f"not found there ({type(exc).__name__})"
        hint = "check the repo id, file name and revision in the weight spec"
    except HfHubHTTPError as exc:
        reason = f"the Hub answered with an error ({str(exc).splitlines()[0]})"
        hint = "try again later, or place the file locally"
    except (OSError, ValueError) as exc:
        reason = f"the download failed ({exc})"
        hint = "try again, or place the file locally"
    tried.append(f"{where}: {reason}")
    local = ", ".join(str(d / (spec.local_path or spec.filename)) for d in local_weight_dirs())
    raise WeightsError(
        f"cannot get weights {spec.name!r}. Tried: " + "; ".join(tried)
        + f". Fix: {hint} (local places searched: {local}; "
        "set STYLEKIT_WEIGHTS_DIR to use another folder)."
    )


def discard_from_hub_cache(path: Path) -> bool:
    """Remove a bad file from the Hub cache so that the next attempt downloads it again.

    The cache stores a symlink into its blob store; both are removed (removing only the link
    is not enough: ``hf_hub_download`` re-links an existing blob without downloading it).
    Args:
        path: the file as the Hub client returned it.

    Returns:
        Whether it was removed: ``False``, removing nothing, if ``path`` is not in the Hub
        cache (e.g. a local file).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     local = Path(folder) / "vgg19.safetensors"
        ...     _ = local.write_bytes(b"not in the cache")
        ...     discard_from_hub_cache(local), local.exists()
        (False, True)
    """
    from huggingface_hub import constants

    cache = Path(constants.HF_HUB_CACHE).expanduser().resolve()
    if cache not in Path(path).absolute().parents:
        return False
    real = path.resolve()
    path.unlink(missing_ok=True)
    if real != path:
        real.unlink(missing_ok=True)
    return True


def _verify(spec: WeightSpec, path: Path, from_hub: bool = False) -> None:
    if spec.sha256 is None:
        return
    actual = sha256_of(path)
    if actual != spec.sha256:
        if from_hub:
            discard_from_hub_cache(path)
        raise WeightsError(
            f"weights {spec.name!r} at {path} are corrupted or not the expected file: sha256 "
            f"{actual} does not match {spec.sha256}. "
            + ("The bad copy was removed from the cache; run again to download it afresh."
               if from_hub else "Delete the file or replace it with the right one.")
        )
