"""The `csm` command line: a thin client over the tools (parse, call one function, render).

Every module of this package registers its commands on `app` when imported; importing the
package imports them all, so a new command family is one new module here.
"""

import importlib
import pkgutil

from agent.cli.app import app, main

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("app", "context"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]
