"""HookDocument: a Command document (schema 2.2) that runs one hook script per platform."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import Duration
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal import defaults
from .._internal.rules import (
    RESOURCE_NAME,
    check_document_name,
    check_length,
    check_pattern,
    check_text,
    exact_literal_pattern,
    fail,
)
from .._internal.typecheck import check_fields, typed
from .._internal.validation import is_unresolved, whole_seconds
from .._internal.vocabulary import HookPlatform
from ..core.stack_checks import claim_document_name, watch
from .script import HookScript, ScriptLanguage

# SSM limit on a document's content.
MAX_CONTENT_BYTES = 64 * 1024
# Allowed by default for a plain parameter value: no quotes, $, backticks, ;, |, & or newlines.
DEFAULT_ALLOWED_PATTERN = r"^[A-Za-z0-9_.,:/@%+= -]{0,1024}$"
_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_]{1,128}$")
# allowedPattern is checked by Java at the API and by Go (RE2) on the agent: no lookarounds or backreferences.
# What Go's RE2 (and Java) lack or read otherwise: lookarounds, backreferences, named groups in Python's
# (?P...) form, conditionals, atomic groups, possessive quantifiers, and {,n} (a literal in RE2).
_NOT_RE2 = re.compile(r"\(\?[=!<P(>]|\\[1-9]|[*+?}]\+|\{,")
_DOCUMENT_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:document/[a-zA-Z0-9_\-.]{3,128}$")
# Run Command's longest execution timeout is 48 hours.
_MAX_TIMEOUT_SECONDS = 172_800
LINUX_STEP_NAME = "LinuxHook"
WINDOWS_STEP_NAME = "WindowsHook"


@runtime_checkable
class IHookDocument(Protocol):
    """Anything that names an SSM document usable as a patch lifecycle hook."""

    @property
    def document_name(self) -> str:
        """The document name or ARN (a CloudFormation reference for documents defined in the stack)."""
        ...


@dataclass(frozen=True, kw_only=True)
class HookParameter:
    """A hook document parameter whose value is baked in at synth time.

    The agent exports it to the script as ``SSM_<Name>`` (``interpolationType: ENV_VAR``), so the
    value never becomes part of the script text.

    Args:
        default: the value the hook runs with (hooks receive no parameters at run time).
        allowed_pattern: an anchored regex (``^...$``) valid in Java and Go that the value must match.
            Default: DEFAULT_ALLOWED_PATTERN, letters, digits, spaces and ``_.,:/@%+=-``, up to 1024 characters.
        description: shown in the SSM console. Default: no description.
        only_default: the document's allowedPattern matches ``default`` exactly, so whoever may run the
            document can't run it with other values (SSM refuses them); ``allowed_pattern`` is then checked at
            synth only. False publishes ``allowed_pattern`` instead. Default: True.
    """

    default: str
    allowed_pattern: str = DEFAULT_ALLOWED_PATTERN
    description: str | None = None
    only_default: bool = True

    def __post_init__(self) -> None:
        check_fields(self)

    def validate(self, name: str) -> None:
        """Check the pattern itself and that the default matches it."""
        keyword = f"parameters[{name!r}]"
        pattern = self.allowed_pattern
        unanchored = [branch for branch in _top_level_branches(pattern) if not _anchored(branch)]
        if unanchored:
            fail(
                f"{keyword} allowed_pattern must anchor every alternative with ^ and $ so Java and Go agree; got "
                f"{pattern!r} (unanchored: {', '.join(repr(branch) for branch in unanchored)})"
            )
        if _NOT_RE2.search(pattern):
            fail(
                f"{keyword} allowed_pattern must avoid lookarounds and backreferences, which the agent's Go regex "
                f"lacks; got {pattern!r}"
            )
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            fail(f"{keyword} allowed_pattern is not a valid regex ({error}); got {pattern!r}")
        if not is_unresolved(self.default):
            check_text(f"{keyword} default", self.default)
        if not is_unresolved(self.default) and not compiled.fullmatch(self.default):
            fail(f"{keyword} default must match its allowed_pattern {pattern}; got {self.default!r}")
        check_length(f"{keyword} description", self.description, 1, 1024)

    def to_document(self) -> dict[str, Any]:
        """The parameter as it appears in the document's ``parameters`` section."""
        declared: dict[str, Any] = {"type": "String"}
        if self.description:
            declared["description"] = self.description
        declared["default"] = self.default
        exact = self.only_default and not is_unresolved(self.default)
        declared["allowedPattern"] = exact_literal_pattern(self.default) if exact else self.allowed_pattern
        declared["interpolationType"] = "ENV_VAR"
        return declared


class HookDocument(Construct):
    """Defines an SSM Command document (schema 2.2) that runs a hook script on Linux and/or Windows.

    Each script becomes a step (``aws:runShellScript`` with precondition ``platformType Linux``,
    ``aws:runPowerShellScript`` with precondition ``platformType Windows``), so one document serves a
    mixed fleet. Parameters are baked in as defaults and reach the script as ``SSM_<Name>``
    environment variables (SSM Agent 3.3.2746 or later). The document always uses
    ``UpdateMethod: NewVersion``, so editing a script adds a document version in place.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        linux: HookScript | None = None,
        windows: HookScript | None = None,
        parameters: Mapping[str, str | HookParameter] | None = None,
        document_name: str | None = None,
        description: str | None = None,
        timeout: Duration | None = None,
        working_directory: str | None = None,
    ) -> None:
        """Define the document.

        Args:
            linux: the script run on Linux instances. Default: no Linux step, Linux instances skip it.
            windows: the script run on Windows instances. Default: no Windows step.
            parameters: values baked into the document, by parameter name; a plain string gets
                DEFAULT_ALLOWED_PATTERN. Every ``SSM_<Name>`` a script reads must be declared here.
                Default: no parameters.
            document_name: the SSM document name. Default: CloudFormation generates a unique name.
            description: the document description. Default: "Patch lifecycle hook <construct id>".
            timeout: how long each step may run before SSM stops it and fails the hook. Default: 1 hour.
            working_directory: the folder the script runs in. Default: the agent's own scratch folder.
        """
        super().__init__(scope, construct_id)
        if linux is None and windows is None:
            fail("provide linux, windows or both; a hook document needs at least one script")
        declared = {name: _as_parameter(value) for name, value in (parameters or {}).items()}
        for name, parameter in declared.items():
            check_pattern("parameters name", name, _PARAMETER_NAME, "1 to 128 characters from A-Z, a-z, 0-9 and _")
            parameter.validate(name)
        _check_script("linux", linux, ScriptLanguage.POWERSHELL, declared)
        _check_script("windows", windows, ScriptLanguage.SHELL, declared)
        check_document_name("document_name", document_name)
        check_length("description", description, 1, 1024)
        check_length("working_directory", working_directory, 1, 4096)  # PATH_MAX on Linux
        watch(self)
        if document_name is not None:
            claim_document_name(self, document_name)
        timeout = timeout or Duration.seconds(defaults.HOOK_TIMEOUT_SECONDS)
        timeout_seconds = whole_seconds("timeout", timeout, 1, _MAX_TIMEOUT_SECONDS)

        self.parameters: dict[str, HookParameter] = declared
        # The platforms with a step; instances of others skip the hook.
        self.platforms: frozenset[HookPlatform] = frozenset(
            platform for platform, script in ((HookPlatform.LINUX, linux), (HookPlatform.WINDOWS, windows)) if script
        )
        self.content: dict[str, Any] = _document_content(
            description=description or f"Patch lifecycle hook {construct_id}",
            parameters=declared,
            steps=_steps(linux, windows, timeout_seconds, working_directory),
        )
        # The content's size as compact JSON: SSM's 64 KB limit, and what the document adds to a template.
        self.content_bytes = len(json.dumps(self.content).encode("utf-8"))
        if self.content_bytes > MAX_CONTENT_BYTES:
            fail(
                f"hook document content must not exceed {MAX_CONTENT_BYTES} bytes (64 KB); "
                f"got {self.content_bytes} bytes; move code into a script installed on the instance"
            )
        # Its share of a template as CDK writes it (JavaScript's JSON.stringify), the 1 MB limit's unit:
        # compact when indentation is suppressed, else one space per level and four levels deep (Resources,
        # id, Properties, Content).
        self.compact_bytes = len(json.dumps(self.content, separators=(",", ":"), ensure_ascii=False).encode())
        indented = json.dumps(self.content, indent=1, ensure_ascii=False)
        self.indented_bytes = len(indented.encode()) + 4 * indented.count("\n")
        self.cfn_document = ssm.CfnDocument(
            self,
            "Resource",
            content=self.content,
            document_type="Command",
            document_format="JSON",
            name=document_name,
            # A named document can't be replaced in place; NewVersion updates it on every content change.
            update_method="NewVersion",
        )

    @property
    def document_name(self) -> str:
        """The document name (a CloudFormation Ref)."""
        return self.cfn_document.ref

    @staticmethod
    @typed
    def from_document_name(scope: Construct, construct_id: str, document_name: str) -> IHookDocument:
        """Use an existing document as a hook: AWS-owned (e.g. "AWS-Noop"), yours, or shared (full ARN).

        A document shared from another account must be given as its full
        ``arn:aws:ssm:<region>:<account>:document/<name>`` ARN.
        """
        return _ImportedHookDocument(scope, construct_id, document_name=document_name)


class _ImportedHookDocument(Construct):
    """A hook document that already exists outside this stack, referenced by name or ARN."""

    def __init__(self, scope: Construct, construct_id: str, *, document_name: str) -> None:
        """Reference the document; the name or ARN is checked, nothing is defined in the template."""
        super().__init__(scope, construct_id)
        _check_existing_document(document_name)
        self._document_name = document_name

    @property
    def document_name(self) -> str:
        """The document name or ARN as given."""
        return self._document_name


def _top_level_branches(pattern: str) -> list[str]:
    """The alternatives of a regex at its top level: ``^a$|^b$`` is two, ``^(a|b)$`` one."""
    branches, depth, in_class, escaped, start = [], 0, False, False, 0
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
    branches.append(pattern[start:])
    return branches


def _anchored(branch: str) -> bool:
    """Starts with ^ and ends with an unescaped $ (after an odd run of backslashes, $ is a dollar sign)."""
    trailing_backslashes = len(branch[:-1]) - len(branch[:-1].rstrip("\\"))
    return branch.startswith("^") and branch.endswith("$") and trailing_backslashes % 2 == 0


def _as_parameter(value: str | HookParameter) -> HookParameter:
    return value if isinstance(value, HookParameter) else HookParameter(default=value)


def _check_script(
    keyword: str, script: HookScript | None, wrong: ScriptLanguage, declared: Mapping[str, HookParameter]
) -> None:
    if script is None:
        return
    if script.language is wrong:
        fail(
            f"{keyword} needs a {'PowerShell' if keyword == 'windows' else 'shell'} script; "
            f"got {script.source} ({wrong.value})"
        )
    missing = [name for name in script.ssm_variables if name not in declared]
    if missing:
        fail(
            f"{keyword} script {script.source} reads {', '.join('SSM_' + n for n in missing)} but parameters "
            f"declares no {', '.join(missing)}; declared: {', '.join(sorted(declared)) or 'none'}"
        )


def check_document_reference(name: str) -> None:
    """A document name or ARN as SSM accepts it (hooks name documents defined elsewhere this way)."""
    _check_existing_document(name)


def _check_existing_document(name: str) -> None:
    if is_unresolved(name):
        return
    if name.startswith("aws:arn:"):
        fail(
            f"document_name ARN must start with 'arn:aws:ssm:' (the 'aws:arn:' form in the AWS docs is a typo); "
            f"got {name!r}"
        )
    if name.startswith("arn:"):
        check_pattern("document_name", name, _DOCUMENT_ARN, "an arn:aws:ssm:<region>:<account>:document/<name> ARN")
        return
    check_pattern(
        "document_name",
        name,
        RESOURCE_NAME,
        "a document name (3 to 128 characters from a-z, A-Z, 0-9, _, - and .) or a document ARN",
    )


def _steps(
    linux: HookScript | None,
    windows: HookScript | None,
    timeout_seconds: int | None,
    working_directory: str | None,
) -> list[dict[str, Any]]:
    steps = []
    for script, action, step_name, platform in (
        (linux, "aws:runShellScript", LINUX_STEP_NAME, "Linux"),
        (windows, "aws:runPowerShellScript", WINDOWS_STEP_NAME, "Windows"),
    ):
        if script is None:
            continue
        inputs: dict[str, Any] = {"runCommand": script.lines, "timeoutSeconds": timeout_seconds}
        if working_directory:
            inputs["workingDirectory"] = working_directory
        steps.append(
            {
                "action": action,
                "name": step_name,
                "precondition": {"StringEquals": ["platformType", platform]},
                "inputs": inputs,
            }
        )
    return steps


def _document_content(
    *, description: str, parameters: Mapping[str, HookParameter], steps: list[dict[str, Any]]
) -> dict[str, Any]:
    content: dict[str, Any] = {"schemaVersion": "2.2", "description": description, "mainSteps": steps}
    if parameters:
        content["parameters"] = {name: parameters[name].to_document() for name in parameters}
    # Keys sorted at every level: the template then reads the same as a reviewed JSON reference, so
    # cdk diff shows real script changes, not key order.
    ordered: dict[str, Any] = _sorted_keys(content)
    return ordered


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value
