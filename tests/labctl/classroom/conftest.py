"""Fixtures of the class commands' tests: a real SMTP server on loopback (tests/support/fake_smtp.py)."""

from tests.support.fake_smtp import plain_smtp_server, smtp_server

__all__ = ["plain_smtp_server", "smtp_server"]
