"""An estimated cost for a SageMaker training job, from the on-demand price table kept beside this module.

``prices.json`` holds USD per instance-hour for one region and the date the figures were taken (``as_of``).
SageMaker bills ``BillableTimeInSeconds`` per instance (DescribeTrainingJob: "multiply by InstanceCount for
the total compute time"), so the estimate is ``billable seconds x instances x hourly price / 3600``. It is an
estimate: spot jobs bill less, other regions differ, and an instance type missing from the table has none.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

PRICES = Path(__file__).with_name("prices.json")


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    """The price table (read once)."""
    return dict(json.loads(PRICES.read_text(encoding="utf-8")))


def estimate(
    instance_type: str, instance_count: int, billable_seconds: float | None
) -> dict[str, Any] | None:
    """``{"usd", "usd_per_hour", "as_of", "region", "basis"}``; None when the price or time is unknown."""
    prices = table()
    hourly = prices["per_hour"].get(instance_type)
    if hourly is None or billable_seconds is None:
        return None
    return {
        "usd": round(float(billable_seconds) * instance_count * hourly / 3600, 4),
        "usd_per_hour": hourly,
        "as_of": prices["as_of"],
        "region": prices["region"],
        "basis": f"{billable_seconds:.0f} billable s x {instance_count} x ${hourly}/h on-demand "
        f"({prices['region']}, prices of {prices['as_of']})",
    }
