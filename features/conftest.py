"""Every scenario runs with a scenario context, set up before its first step.

Setting it up front (rather than when a step first asks for it) puts harness
failures where they belong: a registry that does not start, or a probe that
cannot listen, makes the scenario an *error* in the setup phase, not a
*failure* of the system under test in some step.
"""

import pytest


@pytest.fixture(autouse=True)
def _scenario_context(ctx):
    return ctx
