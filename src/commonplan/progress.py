"""Progress of long computations, for whoever shows it.

A library function that can take more than a second on large inputs takes an optional
``on_progress`` callback: it is called with the fraction done (0 to 1, never decreasing) and a
short label of the step under way, and last with 1.0.  The library draws nothing itself; the
command line draws a Rich progress bar on a terminal (``commonplan.cli._common.progress``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

OnProgress = Callable[[float, str], None]
"""``on_progress(fraction_done, step)``."""


class Steps:
    """A computation of named steps, each of a relative ``weight``, reported to ``on_progress``
    as one rising fraction: :meth:`begin` a step (the fraction of the steps before it), and
    :meth:`advance` within it, :meth:`finish` at the end (1.0).  Nothing is called when
    ``on_progress`` is ``None``."""

    def __init__(self, on_progress: OnProgress | None, steps: Sequence[tuple[str, float]]) -> None:
        total = float(sum(weight for _, weight in steps))
        self._report = on_progress
        self._start: dict[str, float] = {}
        self._share: dict[str, float] = {}
        done = 0.0
        for name, weight in steps:
            self._start[name] = done / total
            self._share[name] = weight / total
            done += weight
        self._step = steps[0][0]
        self._done = 0.0

    def _tell(self, fraction: float, label: str | None = None) -> None:
        self._done = max(self._done, min(fraction, 1.0))
        if self._report is not None:
            self._report(self._done, self._step if label is None else label)

    def begin(self, step: str) -> None:
        """Step ``step`` starts."""
        self._step = step
        self._tell(self._start[step])

    def advance(self, within: float) -> None:
        """The current step is ``within`` (0 to 1) done."""
        self._tell(self._start[self._step] + self._share[self._step] * within)

    def part(self, step: str) -> OnProgress | None:
        """Step ``step`` starts, and is a computation of its own: its ``on_progress``, whose
        fractions fill the step's share under that computation's labels (``None`` when nobody
        listens, so that it need not report)."""
        self._step = step
        if self._report is None:
            return None
        start, share = self._start[step], self._share[step]

        def tell(done: float, label: str) -> None:
            self._tell(start + share * done, label)

        return tell

    def finish(self) -> None:
        """Everything is done."""
        self._tell(1.0)
