"""The Azure SDKs' own loggers stay off the terminal (labctl/sdk_logs.py): the generated clients log "Ran into a
deserialization error ... failsafe deserialization" with a traceback when an error body claims JSON and is not; by
default that never reaches stderr, and `labctl --verbose` shows it."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from labctl import sdk_logs
from labctl.cli import app

# The logger of azure-mgmt-resource-deployments' generated model code, where _failsafe_deserialize logs.
SDK_LOGGER = "azure.mgmt.resource.deployments._utils.model_base"
FAILSAFE = "Ran into a deserialization error. Ignoring since this is failsafe deserialization"


@pytest.fixture(autouse=True)
def _sdk_loggers_as_found():
    """labctl configures process-wide loggers: put them back for the next test."""
    loggers = [logging.getLogger(n) for n in sdk_logs.SDK_LOGGERS]
    saved = [(list(log.handlers), log.propagate) for log in loggers]
    yield
    for log, (handlers, propagate) in zip(loggers, saved, strict=True):
        log.handlers[:] = handlers
        log.propagate = propagate


def _failsafe_warning() -> None:
    try:
        raise ValueError("Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")
    except ValueError:
        logging.getLogger(SDK_LOGGER).warning(FAILSAFE, exc_info=True)


def test_every_command_keeps_sdk_warnings_and_tracebacks_off_stderr(capsys):
    result = CliRunner().invoke(app, ["stacks", "--help"])
    assert result.exit_code == 0
    logging.getLogger("azure").propagate = False  # as in a terminal: no test harness handler above it
    _failsafe_warning()
    assert capsys.readouterr().err == ""


def test_verbose_prints_them(capsys):
    sdk_logs.configure(verbose=True)
    logging.getLogger("azure").propagate = False
    _failsafe_warning()
    err = capsys.readouterr().err
    assert FAILSAFE in err and "Traceback" in err and "ValueError" in err


def test_the_root_option_is_there():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "--verbose" in result.output
