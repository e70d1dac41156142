"""Running networks: the compiled wrapper (device selection is tested in test_registry)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from stylekit.device import CompiledModule, resolve_device
from stylekit.errors import ConfigError


def _tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(3, 4, 3), nn.InstanceNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 3, 1),
    ).eval()


def test_compiled_module_matches_eager_and_compiles_once_for_all_sizes() -> None:
    net = _tiny_net()
    compiled = CompiledModule(net)
    with warnings.catch_warnings(), torch._dynamo.config.patch(error_on_recompile=True):
        warnings.simplefilter("error", RuntimeWarning)  # a fallback to eager fails the test
        for size in ((20, 24), (33, 17), (64, 64)):
            x = torch.rand(1, 3, *size)
            with torch.inference_mode():
                assert torch.allclose(compiled(x), net(x), atol=1e-5)
    assert not compiled._failed


def test_without_a_compiler_it_warns_once_and_runs_eagerly(tmp_path: Path) -> None:
    # A real failure: no C++ compiler and an empty kernel cache, in a fresh interpreter.
    script = """
import warnings, torch
from torch import nn
import pytest

from stylekit.device import CompiledModule, resolve_device
from stylekit.errors import ConfigError
net = nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU()).eval()
compiled = CompiledModule(net)
x = torch.rand(1, 3, 16, 16)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.inference_mode():
        first, second = compiled(x), compiled(x)
        assert torch.equal(first, net(x)) and torch.equal(second, net(x))
messages = [str(w.message) for w in caught if w.category is RuntimeWarning]
assert len(messages) == 1 and "running the network uncompiled" in messages[0], messages
print("fell back")
"""
    env = {**os.environ, "CXX": str(tmp_path / "no-such-compiler"),
           "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fell back" in done.stdout


def test_an_absent_cuda_device_number_is_refused(monkeypatch) -> None:
    # This machine has no GPU: the CUDA runtime is stood in for by its two queries.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ConfigError, match=r"cuda:3.*2 CUDA devices \(cuda:0 to cuda:1\)"):
        resolve_device("cuda:3")


def test_float64_maths_leaves_mps() -> None:
    from stylekit.device import float64_device

    assert float64_device(torch.device("mps")) == torch.device("cpu")
    assert float64_device(torch.device("cpu")) == torch.device("cpu")
