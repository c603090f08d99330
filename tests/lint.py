"""cfn-lint in process, its rules loaded once per region set (loading them costs ~0.8 s; a lint ~0.05 s)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Rules
from cfnlint.runner import Runner, run_template_by_data


@functools.cache
def _configured(regions: tuple[str, ...]) -> tuple[ConfigMixIn, Rules]:
    config = ConfigMixIn(regions=list(regions))
    return config, Runner(config).rules


def cfn_lint(template: Mapping[str, Any] | str, regions: tuple[str, ...] = ("us-east-1",)) -> list[str]:
    """Every cfn-lint finding for ``template`` (a dict, or JSON as CDK writes it: UTF-8, not escaped)."""
    text = template if isinstance(template, str) else json.dumps(dict(template), ensure_ascii=False)
    decoded, errors = decode_str(text)
    if errors:
        return [str(error) for error in errors]
    config, rules = _configured(tuple(regions))
    return [str(match) for match in run_template_by_data(decoded, config, rules)]
