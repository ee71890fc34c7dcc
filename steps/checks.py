"""Then-steps are checks: each one is judged, and a failed check does not stop the scenario.

Once a scenario's action has run, every check after it says something of its
own about the runtime. If the first failing check stopped the scenario, a
runtime's known divergence would hide every later check, and a new fault
behind it would go unseen (README, "Expectations files"). So a Then
step defined with this module's ``then`` turns its ``AssertionError`` into a
verdict on that step (``StepNotes.check_failed``): the results record the
step as failed with its message, the next step runs, and the scenario fails
when it ends (``fixtures/plugins/checks.py``). Any other exception (a harness
error) still stops the scenario, as does any failing Given or When; a check
that is not applicable makes the scenario not applicable, unless a check
already failed (then only that check is).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from pytest_bdd import then as bdd_then


def then(name: Any, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """pytest-bdd's ``then`` (same arguments) for a check that takes ``ctx``."""
    def decorate(check: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(check)
        def judged(*args: Any, **kwargs: Any) -> Any:
            notes = kwargs["ctx"].notes
            try:
                return check(*args, **kwargs)
            except AssertionError as failure:
                notes.check_failed(failure)
                return None
            except pytest.skip.Exception as cannot:
                if not notes.checks_failed():
                    raise  # the scenario is not applicable
                # A scenario that already failed a check stays failed: only this check is not applicable.
                notes.not_applicable(str(cannot.msg))
                return None
        # stacklevel 2: pytest-bdd registers the step in the module that applies this decorator.
        return bdd_then(name, stacklevel=2, **options)(judged)
    return decorate
