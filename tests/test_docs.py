"""Every ```python sample in README.md and docs/*.md runs, as written.

Each document's python blocks are concatenated in order and run in a fresh interpreter (so one
document's ``configure()`` cannot leak into another), from an empty temporary directory, with no
``OTEL_*`` variables inherited from the shell. A python block followed by an ```output block
must print those lines, in that order (an excerpt: other lines may come between), so what the
docs say a sample prints cannot drift from what it prints. A ```console block whose lines start
with ``$ obskit`` is run the same way, the lines after each command being its excerpt (unless
fenced ``console illustrative``: output of a project the page only describes). Blocks
fenced as toml, yaml, text (or anything else) are prose for humans and are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TIMEOUT = 120

# An opening fence (``` or more backticks, optional indentation) and its info string; the block
# ends at a closing fence of at least the same length.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})[ \t]*(?P<info>[^`\n]*)$")


def fenced_blocks(text: str, languages: tuple[str, ...]) -> list[tuple[int, str]]:
    """``(line number of the first code line, code)`` for each block in ``languages``, in order.

    Blocks are dedented by their fence's indentation (a block inside a list item is fine).
    """
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        info = opening["info"].strip()
        language = info.split()[0].lower() if info else ""
        first = i + 2  # 1-based number of the first line inside the fence
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = lines[i].strip()
            if closing.startswith(fence) and set(closing) == {"`"}:
                break
            line = lines[i]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # past the closing fence
        if language in languages:
            blocks.append((first, "\n".join(body) + "\n"))
    return blocks


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return [code for _, code in fenced_blocks(text, ("python", "py", "python3"))]


_PYTHON = ("python", "py", "python3")
#: printed before each python block runs, so each block's output can be told apart
_BLOCK_MARK = "<<obskit-docs-block {n}>>"


def expected_outputs(text: str) -> dict[int, list[str]]:
    """For each python block (numbered from 1) followed by an ```output block, its lines."""
    blocks = fenced_blocks(text, (*_PYTHON, "output"))
    found: dict[int, list[str]] = {}
    number = 0
    languages = _languages(text)
    for (_, code), language in zip(blocks, languages, strict=True):
        if language in _PYTHON:
            number += 1
        elif number and number not in found:
            found[number] = [line.strip() for line in code.splitlines() if line.strip()]
    return found


def _languages(text: str) -> list[str]:
    """The language of each python or output block, in order (``fenced_blocks`` drops it)."""
    languages = []
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if opening is not None and opening["info"].strip():
            language = opening["info"].strip().split()[0].lower()
            if language in (*_PYTHON, "output"):
                languages.append(language)
    return languages


def missing_excerpt(printed: list[str], excerpt: list[str]) -> list[str]:
    """The excerpt's lines not found, in order, among ``printed`` (empty when all are)."""
    position = 0
    stripped = [line.strip() for line in printed]
    for index, line in enumerate(excerpt):
        try:
            position = stripped.index(line, position) + 1
        except ValueError:
            return excerpt[index:]
    return []


def _program(doc: Path) -> tuple[str, list[str]]:
    """The document's python blocks as one program, and for each program line where it came from."""
    lines: list[str] = []
    origin: list[str] = []
    blocks = fenced_blocks(doc.read_text(encoding="utf-8"), _PYTHON)
    for n, (first, code) in enumerate(blocks, 1):
        lines.append(f"# --- {doc.name}, python block {n} (line {first}) ---")
        origin.append(f"{doc.name}: python block {n}")
        lines.append(f"print({_BLOCK_MARK.format(n=n)!r}, flush=True)")
        origin.append(f"{doc.name}: python block {n}")
        for offset, line in enumerate(code.splitlines()):
            lines.append(line)
            origin.append(f"{doc.name}:{first + offset} (python block {n})")
    return ("\n".join(lines) + "\n" if lines else ""), origin


def _locate(stderr: str, origin: list[str]) -> str:
    """Annotate ``File "<string>", line N`` with the Markdown line it came from."""

    def where(match: re.Match[str]) -> str:
        number = int(match["line"])
        place = origin[number - 1] if 0 < number <= len(origin) else "?"
        return f"{match[0]}  [{place}]"

    return re.sub(r'File "<string>", line (?P<line>\d+)', where, stderr)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PYTEST_CURRENT_TEST", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "120"  # the CLI's terminal output, identical wherever the suite runs
    return env


def test_fence_parser() -> None:
    text = (
        "intro\n```python\na = 1\n```\n```console\n$ obskit demo\n```\n"
        "- item\n\n  ```python\n  b = a + 1\n  ```\n````text\n```python\nnot run\n```\n````\n"
    )
    assert python_blocks(text) == ["a = 1\n", "b = a + 1\n"]


# Pages of prose only (a map of the docs, design decisions); everything else has samples.
PROSE_ONLY = {"index.md", "design.md", "performance.md"}
SAMPLED = [d for d in DOCS if d.name not in PROSE_ONLY]


def test_only_the_prose_pages_have_no_python_samples() -> None:
    assert {d.name for d in DOCS if not _program(d)[0]} == PROSE_ONLY


@pytest.mark.parametrize("doc", SAMPLED, ids=[str(d.relative_to(ROOT)) for d in SAMPLED])
def test_python_samples_run(doc: Path, tmp_path: Path) -> None:
    program, origin = _program(doc)
    try:
        result = subprocess.run(
            [sys.executable, "-c", program],
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{doc.name}: the python samples did not finish within {TIMEOUT}s: {exc}")
    if result.returncode != 0:
        pytest.fail(
            f"{doc.name}: the python samples exited with {result.returncode}\n"
            f"--- stderr (tail) ---\n{_locate(result.stderr, origin)[-4000:]}\n"
            f"--- stdout (tail) ---\n{result.stdout[-2000:]}",
            pytrace=False,
        )
    printed = _per_block(result.stdout)
    for number, excerpt in expected_outputs(doc.read_text(encoding="utf-8")).items():
        missing = missing_excerpt(printed.get(number, []), excerpt)
        assert not missing, (
            f"{doc.name}: python block {number} does not print what the docs show; first line "
            f"not found: {missing[0]!r}\n--- it printed ---\n" + "\n".join(printed.get(number, []))
        )


def _per_block(stdout: str) -> dict[int, list[str]]:
    printed: dict[int, list[str]] = {}
    current = 0
    marks = {_BLOCK_MARK.format(n=n): n for n in range(1, 200)}
    for line in stdout.splitlines():
        if line in marks:
            current = marks[line]
            continue
        printed.setdefault(current, []).append(line)
    return printed


def test_output_excerpts_are_matched_in_order() -> None:
    text = "```python\nprint(1)\n```\n```output\na\nc\n```\n```python\npass\n```\n"
    assert expected_outputs(text) == {1: ["a", "c"]}
    assert missing_excerpt(["a", "b", "c"], ["a", "c"]) == []
    assert missing_excerpt(["c", "a"], ["a", "c"]) == ["c"]


# --- console excerpts: `$ obskit ...` and what it prints ---------------------------------------


def console_excerpts(text: str) -> list[tuple[str, list[str]]]:
    """``(command, excerpt lines)`` for each ``$ obskit ...`` line of the console blocks."""
    found: list[tuple[str, list[str]]] = []
    for _, code in _console_blocks(text):
        current: list[str] | None = None  # the excerpt of the block's last command
        for line in code.splitlines():
            if line.startswith("$ "):
                current = []
                found.append((line[2:].strip(), current))
            elif current is not None and line.strip():
                current.append(line.strip())
    return [(command, lines) for command, lines in found if command.startswith("obskit ") and lines]


def _console_blocks(text: str) -> list[tuple[int, str]]:
    """The ```console blocks, less those fenced ``console illustrative``."""
    illustrative = {
        number + 2
        for number, line in enumerate(text.splitlines())
        if (opening := _FENCE.match(line)) is not None
        and opening["info"].split()[1:2] == ["illustrative"]
    }
    return [
        (first, code)
        for first, code in fenced_blocks(text, ("console",))
        if first not in illustrative
    ]


EXCERPTED = [d for d in DOCS if console_excerpts(d.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("doc", EXCERPTED, ids=[str(d.relative_to(ROOT)) for d in EXCERPTED])
def test_console_excerpts_match_what_obskit_prints(doc: Path, tmp_path: Path) -> None:
    for command, excerpt in console_excerpts(doc.read_text(encoding="utf-8")):
        result = subprocess.run(
            [sys.executable, "-m", "obskit.cli", *command.split()[1:]],
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        printed = result.stdout.splitlines() + result.stderr.splitlines()
        missing = missing_excerpt(printed, excerpt)
        assert not missing, (
            f"{doc.name}: `{command}` does not print what the docs show; first line not "
            f"found: {missing[0]!r}\n--- it printed ---\n{result.stdout[-3000:]}"
        )


# --- the example Collector configuration -------------------------------------------------------

COLLECTOR = ROOT / "docs" / "collector.yaml"


def _yaml_blocks(text: str) -> list[str]:
    """The ```yaml blocks of a Markdown text (same fence rules as the python ones)."""
    return [code for _, code in fenced_blocks(text, ("yaml", "yml"))]


def test_collector_config_is_consistent() -> None:
    import yaml

    config = yaml.safe_load(COLLECTOR.read_text(encoding="utf-8"))
    receivers = config["receivers"]["otlp"]["protocols"]
    assert receivers["grpc"]["endpoint"].endswith(":4317")
    assert receivers["http"]["endpoint"].endswith(":4318")
    service = config["service"]
    assert set(service["extensions"]) <= set(config.get("extensions", {}))
    for name, pipeline in service["pipelines"].items():
        assert set(pipeline["receivers"]) <= set(config["receivers"]), name
        assert set(pipeline["exporters"]) <= set(config["exporters"]), name
        processors = pipeline["processors"]
        assert set(processors) <= set(config["processors"]), name
        # the Collector's documented order: memory_limiter first, batch last
        assert processors[0] == "memory_limiter" and processors[-1] == "batch", name
    assert {"otlp/jaeger", "otlp/tempo"} <= set(service["pipelines"]["traces"]["exporters"])


def test_deployment_page_shows_the_collector_file_verbatim() -> None:
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert COLLECTOR.read_text(encoding="utf-8") in _yaml_blocks(page)
