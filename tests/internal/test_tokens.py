"""The pure token check agrees with the CDK's public Token.is_unresolved, on real tokens and on any text."""

from __future__ import annotations

from aws_cdk import Aws, CfnParameter, Fn, Stack, Token
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib._internal.tokens import is_list_token, is_unresolved_text
from constructs_lib._internal.validation import is_unresolved


def cdk_says_unresolved(text: str) -> bool:
    """A string token, or an element that stands for a list token (what the library may not check)."""
    return bool(Token.is_unresolved(text) or Token.is_unresolved([text]))


def test_every_real_token_is_seen_as_the_cdk_sees_it(stack: Stack) -> None:
    name = CfnParameter(stack, "Name").value_as_string
    listed = CfnParameter(stack, "Names", type="CommaDelimitedList").value_as_list
    for token in [name, f"prefix-{name}-suffix", Aws.REGION, Fn.ref("Name"), Fn.join("-", ["a", Aws.REGION])]:
        assert Token.is_unresolved(token), token
        assert is_unresolved_text(token), token
        assert is_unresolved(token), token
        assert not is_list_token(token), token
    for element in [*listed, *Token.as_list(Fn.split(",", name))]:
        assert Token.is_unresolved([element]), element
        assert is_unresolved_text(element), element
        assert is_list_token(element), element


# Text near the markers: the CDK's own markers, stray brackets and key characters, mixed with plain text.
near_markers = st.lists(
    st.sampled_from(["${Token[", "#{Token[", "]}", "]", "}", "TOKEN.12", "a b", "x", ":", "-", "$", "#", "{"]),
    max_size=6,
).map("".join)


@given(st.one_of(st.text(max_size=40), near_markers))
def test_any_text_is_judged_as_the_cdk_judges_it(text: str) -> None:
    assert is_unresolved_text(text) == cdk_says_unresolved(text)
    assert is_list_token(text) == bool(Token.is_unresolved([text]))
