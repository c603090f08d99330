"""The documentation runs as written: every snippet, every fleet description and every relative link.

Pages: README.md, every docs/*.md and bench/README.md. Each ```python block runs as a script in a
subprocess of its own, from a temporary folder outside the repository (as a user's app would); each
```yaml block that is a fleet description is checked by FleetDescription; each relative link must name
a file that exists (and, with ``#anchor``, a heading of that page).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from constructs_lib import FleetDescription
from tests.builders import ROOT

README = ROOT / "README.md"
README_LIMIT_BYTES = 15_360
# The README's minimal usage example synthesizes this stack.
MINIMAL_USAGE_STACK = 'Stack(app, "Patching")'
PAGES = sorted([README, *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "README.md"])

_FENCE = re.compile(r"^```(?P<language>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
# [text](target) links, images included; not inside code blocks (those are removed first).
_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page: its page (relative to the repository), number and text."""

    page: str
    number: int
    language: str
    body: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.number}"

    @property
    def first_line(self) -> str:
        return next((line for line in self.body.splitlines() if line.strip()), "")


def _relative(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _blocks(language: str) -> list[Block]:
    """The pages' fenced blocks in ``language``, each numbered by its place among all fenced blocks of its page
    (from 1), so ``docs/hooks.md:3`` is the third fenced block of that page."""
    found = []
    for page in PAGES:
        for number, match in enumerate(_FENCE.finditer(page.read_text(encoding="utf-8")), start=1):
            if match.group("language") == language:
                found.append(Block(_relative(page), number, language, match.group("body")))
    return found


def _without_code(text: str) -> str:
    text = _FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def github_anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", title.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {github_anchor(match.group("title")) for match in _HEADING.finditer(_FENCE.sub("", page.read_text()))}


PYTHON_BLOCKS = _blocks("python")
FLEET_BLOCKS = [block for block in _blocks("yaml") if "groups:" in block.body and "environments:" in block.body]
# Each relative link once per page (absolute ones, http:, https:, mailto: ..., are not checked).
LINKS = list(
    dict.fromkeys(
        (_relative(page), match.group("target"))
        for page in PAGES
        for match in _LINK.finditer(_without_code(page.read_text(encoding="utf-8")))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", match.group("target"))
    )
)


def run_snippet(block: Block, tmp_path: Path) -> Path:
    """Run the block as a script from ``tmp_path``; return the cloud assembly folder it synthesized to."""
    assert not tmp_path.resolve().is_relative_to(ROOT), "snippets must run from outside the repository"
    script = tmp_path / "snippet.py"
    script.write_text(block.body, encoding="utf-8")
    outdir = tmp_path / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_VALIDATION": "false"}
    env.pop("PYTHONPATH", None)  # the installed package, as a user's app sees it
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"{block.page}, python block {block.number} ({block.first_line!r}) failed with exit status "
            f"{result.returncode}:\n{result.stderr}",
            pytrace=False,
        )
    return outdir


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[block.id for block in PYTHON_BLOCKS])
def test_python_snippet_runs(block: Block, tmp_path: Path) -> None:
    outdir = run_snippet(block, tmp_path)
    if block.page == "README.md" and MINIMAL_USAGE_STACK in block.body:
        # The minimal usage example defines the hooked patch task it describes.
        template = (outdir / "Patching.template.json").read_text()
        assert "AWS-RunPatchBaselineWithHooks" in template
        assert '"PreInstallHookDocName"' in template


@pytest.mark.parametrize("block", FLEET_BLOCKS, ids=[block.id for block in FLEET_BLOCKS])
def test_fleet_description_is_valid(block: Block) -> None:
    fleet = FleetDescription.from_data(yaml.safe_load(block.body), source=block.id)
    if block.page == "docs/organisation-rollout.md" and fleet.name == "acme":
        assert [environment.name for environment in fleet.environments] == ["dev", "prod"]


@pytest.mark.parametrize(("page", "target"), LINKS, ids=[f"{page}->{target}" for page, target in LINKS])
def test_relative_link_resolves(page: str, target: str) -> None:
    path_part, _, anchor = target.partition("#")
    linked = (ROOT / page).parent / path_part if path_part else ROOT / page
    assert linked.exists(), f"{page} links to {target}, but {linked.relative_to(ROOT)} does not exist"
    if anchor:
        assert linked.suffix == ".md", f"{page} links to an anchor of {path_part}, which is not a Markdown page"
        assert anchor in _anchors(linked), f"{page} links to {target}, but {path_part or page} has no such heading"


def test_readme_is_short_and_starts_with_the_set_up_commands() -> None:
    size = README.stat().st_size
    assert size <= README_LIMIT_BYTES, f"README.md is {size} bytes; keep it at most {README_LIMIT_BYTES}"
    before_sections = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "make synth" in before_sections
    assert "make test" in before_sections
    assert before_sections.index("make synth") < before_sections.index("make test")


def test_every_page_has_something_to_check() -> None:
    assert README in PAGES
    assert len(PAGES) > 2, "docs/*.md pages are checked"
    assert any(block.page == "README.md" and MINIMAL_USAGE_STACK in block.body for block in PYTHON_BLOCKS), (
        "the README's minimal usage example runs"
    )
    assert FLEET_BLOCKS, "the fleet description example is checked"
