"""How the notebooks time a call: the best of several timings, the least disturbed measure one machine
gives in one run (the ratios between such times are what the notebooks show, never the seconds alone)."""
from __future__ import annotations

import timeit
from typing import Any, Callable


def best_time(fn: Callable[..., Any], args: tuple = (), repeats: int = 3, least: float = 0.005,
              budget: float = 0.05) -> float:
    """Seconds of one call fn(*args), the best of several timings within about `budget` seconds:
    - a call of a third of the budget or more is timed alone, as often as the budget allows (once at least):
      its own time dwarfs the machine's noise, and repeating it would only make the notebook slow;
    - a shorter one at least `repeats` times and as often as fits in the budget, in batches of about
      `least` seconds when it is shorter than that: alone, its time would be mostly the clock's noise."""
    timer = timeit.Timer(lambda: fn(*args))
    first = timer.timeit(1)
    if first >= budget / 3:
        times = [first]
        while sum(times) < budget:
            times.append(timer.timeit(1))
        return min(times)
    number = 1 if first >= least else max(1, int(least / max(first, 1e-9)))
    times: list[float] = []
    while len(times) < repeats or sum(times) < budget:
        times.append(timer.timeit(number))
    return min(times) / number
