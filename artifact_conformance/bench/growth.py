"""How a series grows: the exponent of a log-log least-squares fit, and ratios.

A look-up that costs ``c * n**k`` at ``n`` artifacts draws a straight line of
slope ``k`` on log-log axes; ``k`` near 0 is constant time, 1 linear, 2
quadratic. The fit uses the measured sizes only: a size that went over the
bound has no figure, only a lower bound, and is left out (and said so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def fitted_exponent(sizes: Sequence[float], values: Sequence[float]) -> float | None:
    """Slope of ``log(value)`` against ``log(size)`` by least squares; None with
    fewer than two distinct sizes (or a value that is not positive)."""
    points = [(math.log(n), math.log(v)) for n, v in zip(sizes, values) if n > 0 and v and v > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def describe_exponent(exponent: float | None) -> str:
    if exponent is None:
        return "-"
    for limit, word in ((0.25, "constant"), (0.75, "sub-linear"), (1.25, "linear"), (1.75, "super-linear"),
                        (2.25, "quadratic")):
        if exponent < limit:
            return f"n^{exponent:.2f} ({word})"
    return f"n^{exponent:.2f} (worse than quadratic)"
