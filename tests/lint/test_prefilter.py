"""The prefilter never skips a file whose only log calls are ``.debug(`` or ``.critical(``."""

from __future__ import annotations

from pathlib import Path

import pytest

from obskit.lint import lint_paths


@pytest.mark.parametrize("method", ["debug", "critical"])
def test_a_file_with_only_that_level_is_linted(method: str, tmp_path: Path) -> None:
    source = tmp_path / "only.py"
    source.write_text(
        f"import structlog\n\nlog = structlog.get_logger()\nlog.{method}('event', orderId=1)\n"
    )
    result = lint_paths([tmp_path])
    assert [(f.line, f.finding.name) for f in result.findings] == [(4, "orderId")]
