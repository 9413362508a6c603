"""Run independent API calls at once over one connection."""

from __future__ import annotations

import concurrent.futures
from typing import Any, List, Sequence

WORKERS = 8


def concurrently(function, items: Sequence[Any]) -> List[Any]:
    """``[function(item) ...]``, run in a thread pool over the same connection when several."""
    if len(items) <= 1:
        return [function(i) for i in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(WORKERS, len(items))) as pool:
        return list(pool.map(function, items))
