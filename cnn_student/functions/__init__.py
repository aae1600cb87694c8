"""Every function students write, by topic: one module per topic, each registering the FunctionSpecs
(cnn_student.spec) of its functions and the causes its hints name. Importing this package imports
them all; the lookups below are the only way to a spec, so none is looked up before it is registered."""
import importlib
import pkgutil

import numpy as np

from ..spec import CAUSES, SPECS, Cause, FunctionSpec

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")


def get_spec(name: str) -> FunctionSpec:
    """The spec of a graded function (every topic module above has registered its own)."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"no checks are defined for a function called {name!r}; "
                       f"known: {', '.join(sorted(SPECS))}") from None


def build_args(name: str, case: dict) -> tuple:
    """The arguments for one case: fresh arrays, the same ones every time for the same case."""
    spec = get_spec(name)
    rng = np.random.default_rng(case.get("seed", 0))
    return spec.make_args(case, rng)


def all_causes() -> dict[str, Cause]:
    """Every cause the checks can name: the generic ones (cnn_student.spec) and every topic's."""
    return dict(CAUSES)
