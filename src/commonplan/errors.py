"""commonplan's exceptions: one tree, one root.

    CommonplanError                 root: catch this to catch everything commonplan raises
    ├── DataError                   input data is wrong; the message names the product,
    │                               process or field
    │   ├── ShapeError              sizes or labels do not match
    │   ├── NonFiniteError          a NaN or an infinity in a coefficient or vector
    │   ├── NegativeCoefficientError  a negative input coefficient (and no option to clip it)
    │   ├── NotProductiveError      spectral radius >= 1: the named products need more of themselves
    │   │                           than they make (Hawkins–Simon fails)
    │   └── FormatError             a file that cannot be read as an economy
    ├── UnknownNameError            a product, resource or vector the economy does not have
    ├── PlanInputError              a target, floor, cap, capacity or option of a plan that
    │                               cannot be planned with (negative, not a number, unknown)
    ├── SolverError                 a numerical method failed to reach its tolerance
    └── MissingExtraError           an optional dependency is not installed; the message gives the
                                    exact install command

Every message is written for the person who supplied the data: it says what is wrong, where, and
what to do about it.  The CLI prints messages of this tree without a traceback.
"""

from __future__ import annotations

__all__ = [
    "CommonplanError",
    "DataError",
    "FormatError",
    "MissingExtraError",
    "NegativeCoefficientError",
    "NonFiniteError",
    "NotProductiveError",
    "PlanInputError",
    "ShapeError",
    "SolverError",
    "UnknownNameError",
]


class CommonplanError(Exception):
    """Root of every error commonplan raises on purpose."""


class DataError(CommonplanError, ValueError):
    """The input data is wrong."""


class ShapeError(DataError):
    """Sizes or labels of the inputs do not match."""


class NonFiniteError(DataError):
    """A coefficient or vector holds NaN or infinity."""


class NegativeCoefficientError(DataError):
    """An input coefficient is negative."""


class NotProductiveError(DataError):
    """The economy cannot produce a net output: a block of products has spectral radius >= 1.

    ``products`` holds the codes of the offending block and ``spectral_radius`` its Perron root.
    """

    def __init__(
        self, message: str, *, products: tuple[str, ...] = (), spectral_radius: float = 0.0
    ):
        super().__init__(message)
        self.products = products
        self.spectral_radius = spectral_radius


class FormatError(DataError):
    """A file cannot be read as an economy."""


class UnknownNameError(CommonplanError, KeyError):
    """A product, resource or vector name the economy does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PlanInputError(CommonplanError, ValueError):
    """A plan's targets, floors, caps, capacities or options are invalid."""


class SolverError(CommonplanError, RuntimeError):
    """A numerical method did not reach its tolerance."""


class MissingExtraError(CommonplanError, ImportError):
    """An optional dependency is missing; the message names the install command."""
