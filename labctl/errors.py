"""One error type for every labctl command, and the exit codes they all share.

Exit codes (the same for every command; `labctl --help` prints this table too):

    0    success
    1    the command ran and found problems (a failed smoke call, check violations, a purge item that failed)
    2    usage error: a bad option or argument (as click reports it), a participant, revision or file named on
         the command line that does not exist
    3    config error: the stack file is missing or invalid, or the stack cannot be chosen
    4    Azure, sign-in, network or deadline error: the command could not finish or could not check
    5    preflight: no candidate region fits the lab
    130  interrupted (Ctrl+C)

A command raises `LabctlError` (or a subclass) with a message that says what is wrong and how to fix it; the CLI
entry point (`labctl.cli.main`) catches it once, prints `error: <message>` to stderr without interpreting rich
markup and without a traceback, and exits with the error's code. A command that finished returns its exit code.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_AZURE = 4
EXIT_NO_FIT = 5
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 problems found (failed smoke call, check violation, purge item failed); "
    "2 usage error; 3 config error (stack file missing or invalid); 4 Azure, sign-in, network or deadline error; "
    "5 preflight: nothing fits; 130 interrupted."
)


class LabctlError(Exception):
    """Something the user can fix; the message says what and how. `exit_code` is one of the EXIT_* above."""

    exit_code: int = EXIT_PROBLEMS

    def __init__(self, message: str, exit_code: int | None = None, *, details: str | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        # What a library said at length (azure-identity's credential chain): printed only with `labctl --verbose`.
        self.details = details

    @property
    def message(self) -> str:
        return str(self)


class UsageError(LabctlError):
    """Options that do not go together (click reports unknown options and bad values itself, also with 2)."""

    exit_code = EXIT_USAGE


class ConfigError(LabctlError):
    """The stack file is missing or invalid, or no stack could be chosen."""

    exit_code = EXIT_CONFIG


class AzureError(LabctlError):
    """Azure, sign-in, the network or a deadline stopped the command before it could finish or check."""

    exit_code = EXIT_AZURE


__all__ = [
    "EXIT_AZURE",
    "EXIT_CODES_HELP",
    "EXIT_CONFIG",
    "EXIT_INTERRUPTED",
    "EXIT_NO_FIT",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "AzureError",
    "ConfigError",
    "LabctlError",
    "UsageError",
]
