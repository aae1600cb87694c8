"""One module per topic, each registering the FunctionSpecs of the functions students write there.
Importing this package imports them all."""
import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
