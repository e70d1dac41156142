"""Where and how networks run: device selection (``"auto"`` picks CUDA, then Apple's MPS,
then the CPU) and an optional :func:`torch.compile` wrapper."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from .errors import ConfigError


def float64_device(device: torch.device) -> torch.device:
    """Where float64 maths on data from ``device`` can run: the device itself, or the CPU for
    Apple's MPS, which has no float64.

    Args:
        device: where the data is.

    Returns:
        ``device``, or the CPU for ``mps``.

    Example:
        >>> float64_device(torch.device("mps")), float64_device(torch.device("cpu"))
        (device(type='cpu'), device(type='cpu'))
    """
    return torch.device("cpu") if device.type == "mps" else device


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a device name into a :class:`torch.device`.

    Args:
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or a
            :class:`torch.device` (returned as it is).

    Returns:
        The device. ``"auto"`` gives the first available of CUDA, MPS and CPU; an explicit
        device that is not available raises :class:`ConfigError` instead of failing later
        inside a kernel.

    Example:
        >>> resolve_device("cpu"), resolve_device(" CPU ")
        (device(type='cpu'), device(type='cpu'))
        >>> resolve_device("auto").type in ("cuda", "mps", "cpu")
        True
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
    if resolved.type == "cuda" and resolved.index is not None \
            and resolved.index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ConfigError(
            f"device {name!r} was asked for but this machine has {count} CUDA device"
            f"{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1}); pick one of them"
        )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            "device 'mps' was asked for but MPS is not available; use 'auto' or 'cpu'"
        )
    return resolved


class CompiledModule:
    """``module`` run through :func:`torch.compile`, falling back to eager if compiling fails.

    Compiled with dynamic shapes, so one compilation (about a minute on a 2-core CPU, paid by
    the first call) serves every input size; Inductor keeps its kernels in an on-disk cache
    that later processes reuse. Compiling needs a C++ compiler on the CPU (and Triton on
    CUDA); where that is missing the first call warns once and the module runs eagerly, with
    the same results.

    Args:
        module: a network taking and returning one tensor.

    Returns (call):
        ``module(x)``.
    """

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self._compiled: Any = torch.compile(module, dynamic=True)
        self._failed = False
        self._worked = False

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self._worked:  # compiled once: later errors are the input's, not the compiler's
            return self._compiled(x)
        if not self._failed:
            try:
                y: torch.Tensor = self._compiled(x)
                self._worked = True
                return y
            except Exception as exc:  # a missing compiler surfaces as many exception types
                self._failed = True
                warnings.warn(
                    f"torch.compile failed ({type(exc).__name__}: {str(exc)[:200]}); running "
                    "the network uncompiled (same result, slower). Install a C++ compiler "
                    "(e.g. apt-get install g++) to use compile=True.",
                    RuntimeWarning, stacklevel=2,
                )
        return self.module(x)
