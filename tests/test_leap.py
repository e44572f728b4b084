"""The famine case (examples/leap.py): procurement planned on inflated harvest reports starves
the communes; planned on the reconciled harvests it leaves every floor whole."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).parent.parent / "examples" / "leap.py"
_spec = importlib.util.spec_from_file_location("leap", _PATH)
assert _spec is not None and _spec.loader is not None
leap = importlib.util.module_from_spec(_spec)
sys.modules["leap"] = leap
_spec.loader.exec_module(leap)


@pytest.mark.parametrize("seed", [1959, 1, 2, 3])
def test_reconciled_procurement_leaves_the_floors_whole(seed: int) -> None:
    out = leap.run(seed)
    assert not out.passed
    communes = {c.name for c in out.communes}
    assert communes <= set(out.suspects)  # every inflating commune is named
    assert "Procurement office" in out.suspects  # and the office that agreed
    for c in out.communes:
        assert c.left_planned_on_reports < c.floor  # the Great Leap's outcome
        assert c.left_planned_on_reconciled >= c.floor  # the floors stay whole
        assert abs(c.reconciled - c.harvest) <= 3 * c.std_error


def test_the_example_prints_both_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    leap.main()
    shown = capsys.readouterr().out
    assert "planned on the reports: 5 of 5 communes below their floor" in shown
    assert "planned on the reconciled harvests: 5 of 5 floors whole" in shown
