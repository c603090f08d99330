"""Wrong types refused like wrong values: a TypeError naming the keyword, before any value reaches jsii.

Every public constructor and factory is wrapped with ``typed`` (dataclasses call ``check_fields`` in
``__post_init__``): each argument is checked against its own annotation, so a wrong type never ends
in an AttributeError deep inside, a jsii deserialisation error, or a NaN that kills the jsii kernel
for the rest of the process. Written here rather than taken from a library: the typeguard that jsii
pins (2.13.3) lets ``X | None`` and mapping values through unchecked on Python 3.11, and pydantic
cannot check jsii interfaces (Protocols that are not runtime-checkable) and converts what it checks.

The rules beyond plain isinstance: a string is never a sequence (``patch_groups="web"`` is not
``["w", "e", "b"]``); a bool is not an int; an int fits CloudFormation's 32-bit integers; NaN and
infinities are refused; an enum must be given as its member (``OperatingSystem.UBUNTU``); a number
token (a float standing for a deploy-time value) passes where an int is meant.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

INT32_RANGE = (-(2**31), 2**31 - 1)

P = ParamSpec("P")
R = TypeVar("R")


def typed(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap a public constructor or factory so each argument is checked against its annotation."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return function(*args, **kwargs)  # Python's own message for a missing or extra argument
        check_arguments(function, bound.arguments)
        return function(*args, **kwargs)

    return checked


def check_arguments(function: Callable[..., Any], arguments: Mapping[str, Any]) -> None:
    """Check each bound argument (``**options`` included, by its TypedDict) against its annotation."""
    hints = _hints(function)
    for name, value in arguments.items():
        hint = hints.get(name)
        if hint is None:
            continue
        if typing.get_origin(hint) is typing.Unpack:
            option_hints = _hints(typing.get_args(hint)[0])
            for option, option_value in value.items():
                if option in option_hints:
                    check_value(option, option_value, option_hints[option])
        else:
            check_value(name, value, hint)


def check_fields(instance: Any) -> None:
    """Check a dataclass instance's fields against their annotations (call from ``__post_init__``)."""
    owner: Any = type(instance)
    hints = _hints(owner)
    for item in dataclasses.fields(instance):
        check_value(f"{owner.__name__} {item.name}", getattr(instance, item.name), hints[item.name])


@functools.cache
def _hints(owner: Any) -> dict[str, Any]:
    return {name: hint for name, hint in typing.get_type_hints(owner).items() if name not in ("self", "return")}


def check_value(keyword: str, value: Any, hint: Any) -> None:
    """Raise TypeError naming ``keyword`` when ``value`` does not fit ``hint``."""
    problem = _problem(value, hint)
    if problem is not None:
        raise TypeError(f"{keyword} must be {_describe_type(hint)}; got {problem}")


def _problem(value: Any, hint: Any) -> str | None:
    """None when ``value`` fits ``hint``, otherwise what is wrong with it (for the message)."""
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if hint is Any or isinstance(hint, TypeVar):
        return None
    if origin in (typing.Union, types.UnionType):
        problems = [_problem(value, option) for option in arguments]
        return None if None in problems else _show(value)
    if hint is None or hint is type(None):
        return None if value is None else _show(value)
    if origin is typing.Literal:
        return None if value in arguments else _show(value)
    if origin is not None:
        return _generic_problem(value, origin, arguments)
    return _plain_problem(value, hint)


def _generic_problem(value: Any, origin: Any, arguments: tuple[Any, ...]) -> str | None:
    if origin in (Callable, typing.Callable):
        return None if callable(value) else _show(value)
    if issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            return _show(value)
        key_hint, value_hint = arguments or (Any, Any)
        for key, item in value.items():
            key_problem = _problem(key, key_hint)
            if key_problem is not None:
                return f"{key_problem} as a key"
            item_problem = _problem(item, value_hint)
            if item_problem is not None:
                return f"{item_problem} for key {key!r}"
        return None
    if issubclass(origin, Sequence):
        if isinstance(value, (str, bytes)) or not isinstance(value, origin):
            return _show(value)
        return _items_problem(value, origin, arguments)
    return None if isinstance(value, origin) else _show(value)


def _items_problem(value: Sequence[Any], origin: Any, arguments: tuple[Any, ...]) -> str | None:
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:
        if len(value) != len(arguments):
            return _show(value)
        item_hints: Sequence[Any] = arguments
    else:
        item_hints = [arguments[0] if arguments else Any] * len(value)
    for index, (item, item_hint) in enumerate(zip(value, item_hints, strict=True)):
        problem = _problem(item, item_hint)
        if problem is not None:
            return f"{problem} at position {index}"
    return None


def _plain_problem(value: Any, hint: Any) -> str | None:
    if hint is bool:
        return None if isinstance(value, bool) else _show(value)
    if hint is int:
        return _int_problem(value)
    if hint is float:
        return _float_problem(value)
    if typing.is_typeddict(hint):
        return _typed_dict_problem(value, hint)
    if not isinstance(hint, type):
        return None  # a string annotation or construct we do not model: left to the code itself
    if _is_static_protocol(hint):
        return None if _is_cdk_object(value) and _has_members(value, hint) else _show(value)
    if isinstance(value, hint):
        return None
    if issubclass(hint, enum.Enum) and any(value == member.value for member in hint):
        return f"the string {value!r}: use {hint.__name__}.{hint(value).name}"
    return _show(value)


def _typed_dict_problem(value: Any, hint: Any) -> str | None:
    if not isinstance(value, Mapping):
        return _show(value)
    hints = _hints(hint)
    missing = sorted(set(hint.__required_keys__) - set(value))
    if missing:
        return f"{_show(value)} without {', '.join(missing)}"
    for key, item in value.items():
        if key not in hints:
            return f"{_show(value)} with the unknown key {key!r} (allowed: {', '.join(sorted(hints))})"
        problem = _problem(item, hints[key])
        if problem is not None:
            return f"{problem} for {key!r}"
    return None


def _int_problem(value: Any) -> str | None:
    if isinstance(value, float) and math.isfinite(value) and _is_number_token(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return _show(value)
    low, high = INT32_RANGE
    return None if low <= value <= high else f"{value}, outside CloudFormation's 32-bit integers"


def _float_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _show(value)
    return None if math.isfinite(value) else _show(value)


def _is_number_token(value: float) -> bool:
    """A CDK number token (a float standing for a deploy-time value); only finite floats may ask jsii."""
    from aws_cdk import Token

    return bool(Token.is_unresolved(value))


def _is_static_protocol(hint: type) -> bool:
    """A Protocol isinstance cannot check: jsii interfaces such as aws_s3.IBucket."""
    return bool(getattr(hint, "_is_protocol", False)) and not getattr(hint, "_is_runtime_protocol", False)


@functools.cache
def _protocol_members(protocol: type) -> frozenset[str]:
    return frozenset(name for name in dir(protocol) if not name.startswith("_")) - frozenset(dir(typing.Protocol))


def _has_members(value: Any, protocol: type) -> bool:
    """Checked on the classes: reading a property of a jsii object would be a call into the kernel."""
    classes = _classes_of(value)
    return all(any(hasattr(cls, name) for cls in classes) for name in _protocol_members(protocol))


def _classes_of(value: Any) -> list[type]:
    """The value's class, or the classes behind a proxy jsii builds for several interfaces (``_delegates``)."""
    delegates = getattr(value, "__dict__", {}).get("_delegates", ())
    return [type(delegate) for delegate in delegates] or [type(value)]


def _is_cdk_object(value: Any) -> bool:
    return any(hasattr(cls, "__jsii_type__") for cls in _classes_of(value)) or hasattr(value, "__jsii_ref__")


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"


def _describe_type(hint: Any, *, plural: bool = False) -> str:
    """Say what ``hint`` admits, in words: ``a list of strings``, ``Duration or None``."""
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe_type(option, plural=plural) for option in arguments)
    if origin is typing.Literal:
        return " or ".join(repr(option) for option in arguments)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        key, item = arguments or (Any, Any)
        keys, items = _describe_type(key, plural=True), _describe_type(item, plural=True)
        words = f"mapping{'s' if plural else ''} of {keys} to {items}"
        return words if plural else f"a {words}"
    if isinstance(origin, type) and issubclass(origin, Sequence):
        item = arguments[0] if arguments else Any
        words = f"list{'s' if plural else ''} of {_describe_type(item, plural=True)}"
        return words if plural else f"a {words}"
    if origin in (Callable, typing.Callable):
        return "functions" if plural else "a function"
    if hint is None or hint is type(None):
        return "None"
    plain = _PLAIN_WORDS.get(hint)
    if plain is not None:
        return plain[plural]
    if typing.is_typeddict(hint):
        return f"{hint.__name__} mappings" if plural else f"a {hint.__name__} mapping"
    name = getattr(hint, "__name__", str(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"{name} members" if plural else f"{name} (e.g. {name}.{next(iter(hint)).name})"
    return f"{name} objects" if plural else name


_PLAIN_WORDS: dict[Any, tuple[str, str]] = {
    Any: ("anything", "anything"),
    int: ("a whole number", "whole numbers"),
    float: ("a number", "numbers"),
    str: ("a string", "strings"),
    bool: ("True or False", "True or False"),
}
