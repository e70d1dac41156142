"""The L-BFGS optimiser on problems with known minima."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch

from stylekit.optim import LBFGS


def _closure(x: torch.Tensor, fn):
    def closure() -> torch.Tensor:
        x.grad = None
        loss = fn(x)
        loss.backward()
        return loss.detach()

    return closure


def test_solves_an_ill_conditioned_quadratic() -> None:
    torch.manual_seed(0)
    scales = torch.logspace(0, 3, 50, dtype=torch.float64)  # condition number 1000
    b = torch.randn(50, dtype=torch.float64)
    x = torch.zeros(50, dtype=torch.float64, requires_grad=True)
    opt = LBFGS(x, history=20)
    closure = _closure(x, lambda v: 0.5 * (scales * v * v).sum() - (b * v).sum())
    losses = [opt.step(closure) for _ in range(250)]
    torch.testing.assert_close(x.detach(), b / scales, atol=1e-6, rtol=1e-6)
    assert all(b <= a for a, b in pairwise(losses))  # accepted losses never rise


def test_rosenbrock() -> None:
    x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    opt = LBFGS(x, history=10, first_step=1e-2)
    closure = _closure(x, lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2)
    for _ in range(300):
        opt.step(closure)
    torch.testing.assert_close(x.detach(), torch.tensor([1.0, 1.0], dtype=torch.float64),
                               atol=1e-4, rtol=0)


def test_rejects_steps_that_blow_up_and_holds_the_accepted_point() -> None:
    """A loss that is infinite away from the origin: the optimiser backs off, never diverges,
    and after every step x holds the point whose loss it returned."""

    def fn(v: torch.Tensor) -> torch.Tensor:
        loss = (v**4).sum() + (v - 0.5).square().sum()
        return torch.where(v.abs().max() > 2, torch.full_like(loss, float("inf")), loss)

    x = torch.full((10,), 1.5, requires_grad=True)
    opt = LBFGS(x, first_step=10.0)  # a first step far too long on purpose
    closure = _closure(x, fn)
    rejected = 0
    for _ in range(60):
        loss = opt.step(closure)
        rejected += not opt.accepted
        assert loss == pytest.approx(float(fn(x.detach())), rel=1e-6)
    assert rejected >= 1
    # The minimum solves 4 v^3 + 2 (v - 0.5) = 0 in every coordinate.
    v = x.detach()
    torch.testing.assert_close(4 * v**3 + 2 * (v - 0.5), torch.zeros(10), atol=1e-4, rtol=0)


def test_closure_must_backpropagate() -> None:
    x = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="backward"):
        LBFGS(x).step(lambda: x.sum().detach())
