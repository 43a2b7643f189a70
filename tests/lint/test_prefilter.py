"""Speed never costs a finding: the text prefilter and the worker processes change nothing a
run reports, on real code (installed structlog, Starlette, httpx and OpenTelemetry packages)."""

from __future__ import annotations

import importlib
from pathlib import Path

from obskit.lint._extract import extract_names, interesting_lines, may_emit
from tests.lint.conftest import RunCli
from tests.support.subprocess_run import run_python

REAL = ("structlog", "starlette", "httpx", "opentelemetry.sdk", "opentelemetry.instrumentation",
        "opentelemetry.semconv")  # fmt: skip


def _real_files() -> list[Path]:
    roots = [Path(next(iter(importlib.import_module(name).__path__))) for name in REAL]
    return sorted(path for root in roots for path in root.rglob("*.py"))


def test_the_prefilter_passes_every_file_the_extractor_finds_a_name_in() -> None:
    files = _real_files()
    texts = {path: path.read_text("utf-8") for path in files}
    with_names = {path for path, text in texts.items() if list(extract_names(text, str(path)))}
    kept = {path for path, text in texts.items() if may_emit(text)}
    assert len(files) >= 100 and len(with_names) >= 20
    assert with_names <= kept
    assert kept == {path for path, text in texts.items() if interesting_lines(text)}
    assert len(kept) < len(files)  # it does drop files: those are never parsed


def test_prefiltered_and_parallel_runs_report_what_parsing_every_file_reports() -> None:
    """In a fresh interpreter: forking needs a process without other threads."""
    out = run_python(
        f"""
        import json
        from pathlib import Path
        from obskit.lint._lint import _workers, lint_paths
        import importlib
        roots = [Path(next(iter(importlib.import_module(n).__path__))) for n in {REAL!r}]

        def run(**options):
            result = lint_paths(roots, **options)
            return [[f.path, f.line, f.col, f.code, f.finding.name] for f in result.findings]

        every = run(jobs=1, parse_all=True)
        files = len(lint_paths(roots, jobs=1).files)
        print(json.dumps({{
            "workers": _workers(2, files),
            "every": every,
            "prefiltered": run(jobs=1),
            "parallel": run(jobs=2),
        }}))
        """
    )["result"]
    assert out["workers"] == 2
    assert len(out["every"]) >= 100
    assert out["prefiltered"] == out["every"]
    assert out["parallel"] == out["every"]


def test_a_file_that_cannot_emit_a_name_is_not_parsed(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    assert cli("lint", "--no-semconv", tmp_path).code == 0
    parsed = cli("lint", "--no-semconv", "--parse-all", tmp_path)
    assert parsed.code == 1 and "broken.py:1:7: parse_error syntax error" in parsed.out
