"""Device selection: ``"auto"`` picks CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from .errors import ConfigError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a device name into a :class:`torch.device`.

    ``"auto"`` returns the first available of CUDA, MPS and CPU. An explicit device that is not
    available raises :class:`ConfigError` instead of failing later inside a kernel.
    """
    if isinstance(device, torch.device):
        return device
    name = str(device).strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(
            f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device 'cuda' was asked for but CUDA is not available; use 'auto' or 'cpu'"
        )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            "device 'mps' was asked for but MPS is not available; use 'auto' or 'cpu'"
        )
    return resolved
