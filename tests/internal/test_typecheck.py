"""The type check every public entry runs first: each rule refused with its message, beside a valid neighbour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pytest
from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_sns as sns

from constructs_lib import OperatingSystem
from constructs_lib._internal.typecheck import INT32_RANGE, check_value


class _Options(TypedDict, total=False):
    name: str


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (INT32_RANGE[1], int),
        (INT32_RANGE[0], int),
        (["web"], Sequence[str]),
        (("web",), Sequence[str]),
        ({"PatchGroup": ["web"]}, Mapping[str, Sequence[str]]),
        (OperatingSystem.UBUNTU, OperatingSystem),
        (None, int | None),
        (Duration.hours(1), Duration | None),
        ({"name": "x"}, _Options),
        (True, bool),
    ],
)
def test_a_value_of_the_annotated_type_passes(value: Any, hint: Any) -> None:
    check_value("keyword", value, hint)


@pytest.mark.parametrize(
    ("value", "hint", "message"),
    [
        (INT32_RANGE[1] + 1, int, r"keyword must be a whole number; got 2147483648, outside CloudFormation's 32-bit"),
        (INT32_RANGE[0] - 1, int, r"got -2147483649, outside CloudFormation's 32-bit integers"),
        (float("nan"), int, r"keyword must be a whole number; got nan"),
        (float("inf"), int | None, r"keyword must be a whole number or None; got inf"),
        (True, int, r"keyword must be a whole number; got True"),
        (1, bool, r"keyword must be True or False; got 1"),
        ("web", Sequence[str], r"keyword must be a list of strings; got the string 'web'"),
        ([1], Sequence[str], r"keyword must be a list of strings; got 1 at position 0"),
        ({"k": "v"}, Mapping[str, Sequence[str]], r"got the string 'v' for key 'k'"),
        (
            "UBUNTU",
            OperatingSystem,
            r"keyword must be OperatingSystem \(e\.g\. OperatingSystem\.\w+\); got the string "
            r"'UBUNTU': use OperatingSystem\.UBUNTU",
        ),
        (60, Duration | None, r"keyword must be Duration or None; got 60"),
        ({"nmae": "x"}, _Options, r"with the unknown key 'nmae' \(allowed: name\)"),
        ({"name": 1}, _Options, r"got 1 for 'name'"),
        ("x" * 100, int, r"got the string 'x{57}\.\.\.'"),
    ],
)
def test_a_value_of_another_type_is_a_type_error_naming_the_keyword(value: Any, hint: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        check_value("keyword", value, hint)


def test_a_number_token_passes_where_a_whole_number_is_meant(stack: Stack) -> None:
    number = Token.as_number(sns.Topic(stack, "T").topic_arn)
    check_value("keyword", number, int)


def test_a_cdk_object_of_another_interface_is_refused(stack: Stack) -> None:
    check_value("topic", sns.Topic(stack, "Topic"), sns.ITopic)
    with pytest.raises(TypeError, match=r"topic must be ITopic; got a Duration"):
        check_value("topic", Duration.hours(1), sns.ITopic)


def test_a_nan_never_reaches_the_jsii_kernel() -> None:
    with pytest.raises(TypeError):
        check_value("priority", float("nan"), int)
    assert Token.is_unresolved("still alive") is False
