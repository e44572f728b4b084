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
    ├── VotingError                 a ballot, a vote count or a tie that cannot be decided as asked
    │   └── TieError                a tie that no explicit tie-breaking rule decides; names the tied
    ├── PlanningError               a step of a planning round that the rules do not allow
    │   ├── NotFoundError           no federation, council, member, round or proposal by that id
    │   ├── PhaseError              the round is not in the phase this step needs (a vote after
    │   │                           close)
    │   ├── BallotRefusedError      a ballot refused: not a member of that council, a second ballot,
    │   │                           a choice that is not on the ballot; no tally changes
    │   ├── FloorError              a proposal or amendment would cut a hard floor (food, housing,
    │   │                           health, care): refused with the floor it would cut
    │   └── AuthorisationError      the person is not allowed to do this (not a facilitator, not a
    │                               delegate of that council)
    │       └── CSRFError           a cookie-authenticated request that changes something came
    │                               without its CSRF token
    ├── AuthenticationError         not signed in, a wrong handle or password, an expired session
    │                               or invitation
    ├── RateLimitedError            too many failed sign-ins; ``retry_after`` seconds to wait
    ├── IntegrityError              the audit log or a stored ballot box does not verify: tampering
    └── MissingExtraError           an optional dependency is not installed; the message gives the
                                    exact install command

Every message is written for the person who supplied the data: it says what is wrong, where, and
what to do about it.  The CLI prints messages of this tree without a traceback.

A message may be :func:`said`: a :meth:`str.format` template and its fields, kept with the
English text (``str(error)`` is that text) so that the pages can show it in the reader's language
(:meth:`commonplan.web.text.Translator.error`); ``scripts/i18n extract`` finds the templates by
the call ``said("...")`` and writes them into the pages' catalogues.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "AuthorisationError",
    "BallotRefusedError",
    "CSRFError",
    "CommonplanError",
    "DataError",
    "FloorError",
    "FormatError",
    "IntegrityError",
    "MissingExtraError",
    "NegativeCoefficientError",
    "NonFiniteError",
    "NotFoundError",
    "NotProductiveError",
    "PhaseError",
    "PlanInputError",
    "PlanningError",
    "RateLimitedError",
    "ShapeError",
    "SolverError",
    "TieError",
    "UnknownNameError",
    "VotingError",
]
"""The exception tree (every name a :class:`CommonplanError`); :func:`said` and :class:`Said`,
the messages the errors carry, are imported by name."""


class Said(str):
    """An error message in English that keeps the template and the fields it was made from."""

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, fields: dict[str, Any]) -> Said:
        said_ = super().__new__(cls, template.format(**fields))
        said_.template = template
        said_.fields = fields
        return said_

    def __reduce__(self) -> tuple[type[Said], tuple[str, dict[str, Any]]]:
        return (Said, (self.template, self.fields))


def said(template: str, /, **fields: Any) -> Said:
    """The message ``template.format(**fields)``, keeping ``template`` and ``fields`` (names of
    products, councils and members as fields; numbers as numbers, each language writes them)."""
    return Said(template, fields)


class CommonplanError(Exception):
    """Root of every error commonplan raises on purpose."""

    @property
    def said(self) -> Said | None:
        """The template and fields of the message, where it was made with :func:`said`."""
        message = self.args[0] if self.args else None
        return message if isinstance(message, Said) else None


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


class VotingError(CommonplanError, ValueError):
    """Ballots or a count that cannot be decided as asked."""


class TieError(VotingError):
    """A tie that no explicit tie-breaking rule decides.

    ``tied`` holds the ids of the tied proposals or candidates; nothing is broken silently.
    """

    def __init__(self, message: str, *, tied: tuple[str, ...] = ()):
        super().__init__(message)
        self.tied = tied


class PlanningError(CommonplanError):
    """A step of a planning round that its rules do not allow."""


class NotFoundError(PlanningError, LookupError):
    """No federation, council, member, round or proposal by that id."""


class PhaseError(PlanningError):
    """The round is not in the phase this step needs."""


class BallotRefusedError(PlanningError):
    """A ballot is refused (not the voter's council, a second ballot, an invalid choice)."""


class FloorError(PlanningError):
    """A proposal or amendment would cut a hard floor (food, housing, health, care)."""


class AuthorisationError(PlanningError):
    """The person asking is not allowed to take this step."""


class CSRFError(AuthorisationError):
    """A cookie-authenticated request that changes something came without its CSRF token."""


class AuthenticationError(CommonplanError):
    """Not signed in, a wrong handle or password, an expired session or invitation."""


class RateLimitedError(CommonplanError):
    """Too many failed sign-ins; ``retry_after`` is how many seconds until the next attempt."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IntegrityError(CommonplanError):
    """The audit log or a stored ballot box does not verify: it has been tampered with."""


class MissingExtraError(CommonplanError, ImportError):
    """An optional dependency is missing; the message names the install command."""
