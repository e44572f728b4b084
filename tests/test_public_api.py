"""The public API: ``import commonplan as cp`` names, pinned; importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import commonplan as cp
from commonplan import errors

PUBLIC = {
    # economies and plans
    "LABOUR", "Economy", "demo_economy", "read_economy", "from_pymrio", "write_economy",
    "synthetic_economy", "balance", "embodied", "BalanceResult", "optimize", "OptimizeResult",
    "TargetGroup", "Diagnosis", "Relaxation", "current_use", "Capital", "derive_capital",
    "capital_from_coefficients", "sector_groups", "plan_years", "YearsResult", "compare",
    "Comparison", "read_supply_use", "SupplyUse", "SupplyUseFrames",
    # votes
    "equal_shares", "greedy_by_votes", "approval_ratification", "consent", "schulze",
    # after the vote
    "reconcile", "Reconciliation",
    # storage
    "Database",
    "__version__",
}  # fmt: skip


def test_the_public_names_are_pinned() -> None:
    """Adding or removing a public name is a decision: this test makes it a visible one."""
    assert set(cp.__all__) == PUBLIC | set(errors.__all__)
    assert len(cp.__all__) == len(set(cp.__all__))


def test_every_public_name_resolves_and_errors_share_one_root() -> None:
    for name in cp.__all__:
        assert getattr(cp, name) is not None, name
    for name in errors.__all__:
        assert issubclass(getattr(cp, name), cp.CommonplanError), name
    assert sorted(dir(cp)) == sorted(set(dir(cp)))  # module __dir__ lists the lazy names once
    assert set(cp.__all__) <= set(dir(cp))


def test_import_commonplan_loads_no_heavy_library() -> None:
    code = (
        "import sys, commonplan\n"
        "heavy = ['numpy', 'scipy', 'numba', 'pandas', 'sqlalchemy', 'plotly', 'fastapi']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


ACCOUNTS = {
    "AuthenticationError", "CSRFError", "Invited", "NewSession", "Principal", "RateLimitedError",
    "Settings", "SignedIn", "accept_invitation", "add_staff", "authenticate", "change_password",
    "csrf_token", "device_token", "hosts_of", "invite", "invite_many", "principal",
    "reset_password", "roots", "same_token", "sessions_of", "set_password", "sign_in", "sign_out",
    "signed_in",
}  # fmt: skip


def test_the_accounts_names_stay_importable_from_the_package() -> None:
    """``commonplan.accounts`` is one module a concept; its names are pinned here, each resolves
    to the module of its concept, and the errors are :mod:`commonplan.errors`' own."""
    from commonplan import accounts

    assert set(accounts.__all__) == ACCOUNTS
    assert len(accounts.__all__) == len(ACCOUNTS)
    homes = {getattr(accounts, name).__module__ for name in ACCOUNTS}
    concepts = "invitations passwords principals sessions settings staff throttle tokens"
    assert homes == {"commonplan.errors"} | {f"commonplan.accounts.{c}" for c in concepts.split()}
    for name in ("AuthenticationError", "CSRFError", "RateLimitedError"):
        assert getattr(accounts, name) is getattr(errors, name)
    assert accounts.LOOPBACK == ("127.0.0.1", "localhost", "::1")  # the CLI's, not in __all__
