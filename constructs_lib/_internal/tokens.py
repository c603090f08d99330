"""Recognising unresolved CDK tokens in text without the CDK (no jsii round trip, no jsii runtime).

The CDK encodes an unresolved string as text holding ``${Token[<key>]}`` and each element of an
unresolved list as ``#{Token[<key>]}``; the patterns below are the CDK's own (aws-cdk-lib
core/lib/private/encoding.ts: the markers and the key characters ``a-zA-Z0-9:._-``).
tests/internal/test_tokens.py proves they agree with the CDK's public ``Token.is_unresolved``.
"""

from __future__ import annotations

import re

_KEY = r"[a-zA-Z0-9:._-]+"
_STRING_TOKEN = re.compile(r"\$\{Token\[" + _KEY + r"\]\}")
_LIST_TOKEN = re.compile(r"#\{Token\[" + _KEY + r"\]\}")


def is_unresolved_text(value: str) -> bool:
    """True when the text is known only at deploy time: it holds a string token, or is a list token's element.

    ``Token.is_unresolved(value) or Token.is_unresolved([value])`` in the CDK's terms.
    """
    return bool(_STRING_TOKEN.search(value) or _LIST_TOKEN.search(value))


def is_list_token(value: str) -> bool:
    """True when the text is an element of an encoded list token (a list of unknown length)."""
    return bool(_LIST_TOKEN.search(value))
