"""The demo service every hook-script test drives, stopped after each test whatever it left running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hook_scripts.harness import DemoService, free_port


@pytest.fixture
def service(tmp_path: Path) -> Iterator[DemoService]:
    """A demo service on a free port, not yet started; its run folder is ``tmp_path/run``."""
    demo = DemoService(port=free_port(), run_dir=tmp_path / "run")
    yield demo
    demo.kill()
