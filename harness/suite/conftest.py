"""Registers the step library for the conformance suite (pytest-bdd steps are fixtures of the
module that defines them, so they are star-imported here)."""
from harness.steps.common import *  # noqa: F401,F403
from harness.steps.delivery import *  # noqa: F401,F403
from harness.steps.market import *  # noqa: F401,F403
from harness.steps.sites import *  # noqa: F401,F403
from harness.steps.aggregator import *  # noqa: F401,F403
from harness.steps.balancing import *  # noqa: F401,F403
from harness.steps.messages import *  # noqa: F401,F403
from harness.steps.billing import *  # noqa: F401,F403
from harness.steps.bench import *  # noqa: F401,F403
from harness.steps.signal_to_settlement import *  # noqa: F401,F403
from harness.steps.signal_to_bill import *  # noqa: F401,F403
from harness.steps.optimality import *  # noqa: F401,F403
from harness.steps.trade_records import *  # noqa: F401,F403
from harness.steps.retail import *  # noqa: F401,F403
from harness.steps.security import *  # noqa: F401,F403
from harness.steps.security_policy import *  # noqa: F401,F403
