"""The Azure SDKs' own log messages: kept off the terminal unless asked for (`labctl --verbose`).

Without a handler anywhere, Python's logging prints WARNING records to stderr through its "last resort" handler,
tracebacks included: the azure-mgmt-* clients' generated serialization logs "Ran into a deserialization error.
Ignoring since this is failsafe deserialization" with the exception when an error body is not JSON
(failsafe_deserialize), and azure-identity logs each credential it tried. labctl reports what matters itself, so
these loggers get a NullHandler; with --verbose they print to stderr, tracebacks and all.
"""

from __future__ import annotations

import logging
import sys

SDK_LOGGERS = ("azure", "msal", "msrest")
_MARK = "_labctl_sdk_handler"


def configure(verbose: bool) -> None:
    """Quiet (the default) or verbose SDK logs; calling it again replaces what an earlier call set."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(handler)
        handler: logging.Handler = logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler()
        if verbose:
            handler.setLevel(logging.WARNING)
            handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
