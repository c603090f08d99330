"""CloudWatch Logs space-delimited filter patterns, evaluated here (no AWS, and moto reads term patterns only).

Written from the user guide "FilterAndPatternSyntax", for the forms the library's metric filters use:
a quoted term (``"exact phrase"``) matches an event holding the phrase anywhere; a space-delimited pattern
(``[name, name = "word", ..., ...]``) reads an event from its start, split into fields at white space, a
"..." or [...] group being one field; the pattern names the fields in order, ``...`` standing for any number of
them; ``name = value`` must equal the field (``*`` matches any run of characters). A match returns the named
fields' values, as TestMetricFilter's extractedValues does (none for a term).
"""

from __future__ import annotations

import re

_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')
_CONDITION = re.compile(r'^(?P<name>\w+)\s*=\s*(?P<value>"[^"]*"|\S+)$')


def _terms(pattern: str) -> list[str]:
    assert pattern.startswith("["), pattern
    assert pattern.endswith("]"), pattern
    return [term.strip() for term in pattern[1:-1].split(",")]


def _fields(message: str) -> list[str]:
    return [field.strip('"') for field in _FIELD.findall(message)]


def _equals(expected: str, value: str) -> bool:
    expected = expected.strip('"')
    return re.fullmatch(".*".join(re.escape(part) for part in expected.split("*")), value) is not None


def match(pattern: str, message: str) -> dict[str, str] | None:
    """The extracted values (``$name``) when ``pattern`` matches ``message``, else None."""
    if pattern.startswith('"'):
        return {} if pattern.strip('"') in message else None
    terms, fields = _terms(pattern), _fields(message)
    if "..." in terms:
        at = terms.index("...")
        before, after = terms[:at], terms[at + 1 :]
        if len(fields) < len(before) + len(after):
            return None
        pairs = list(zip(before, fields, strict=False)) + list(
            zip(after, fields[len(fields) - len(after) :], strict=True)
        )
    elif len(terms) != len(fields):
        return None
    else:
        pairs = list(zip(terms, fields, strict=True))
    values: dict[str, str] = {}
    for term, value in pairs:
        condition = _CONDITION.match(term)
        name = condition["name"] if condition else term
        if condition and not _equals(condition["value"], value):
            return None
        values[f"${name}"] = value
    return values
