"""Recognising unresolved CDK string tokens without the CDK (no jsii round trip, no jsii runtime).

The CDK encodes an unresolved string as text holding ``${Token[...]}`` and each element of an
unresolved list as ``#{Token[...]}``. tests/internal/test_tokens.py proves this agrees with the
CDK's public ``Token.is_unresolved`` on real tokens and on arbitrary text.
"""

from __future__ import annotations

STRING_TOKEN = "${Token["  # noqa: S105 (a marker, not a password)
LIST_TOKEN = "#{Token["  # noqa: S105


def is_unresolved_text(value: str) -> bool:
    """True when the string carries a CDK string or list token (known only at deploy time)."""
    return STRING_TOKEN in value or LIST_TOKEN in value


def is_list_token(value: str) -> bool:
    """True when the string is an element of an encoded list token (a list of unknown length)."""
    return LIST_TOKEN in value
