"""``obskit.view`` and ``obskit.serve`` are tooling: the runtime never loads them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import obskit
import obskit.view

PACKAGE = Path(obskit.__file__).parent
#: the tools that may read exported telemetry, and the test helpers (explore() draws a failing
#: schedule's waterfall); everything else is runtime
TOOLS = ("view", "serve", "demo", "lint", "testing")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_every_public_name_exists() -> None:
    for name in obskit.view.__all__:
        assert hasattr(obskit.view, name), name


def test_no_runtime_module_imports_the_view() -> None:
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in TOOLS or relative.name == "cli.py":
            continue
        leaked = {m for m in _imports(path) if m.startswith(("obskit.view", "obskit.serve"))}
        assert not leaked, f"{relative} imports {leaked}"


def test_the_otlp_json_codec_builds_only_on_the_file_encoder() -> None:
    """``obskit check`` reads the format through the codec; its encoding is the file exporter's,
    which imports no other obskit."""
    for module in _imports(PACKAGE / "view" / "_otlp_json.py"):
        assert not module.startswith("obskit") or module.startswith("obskit._otlp_file"), module
    for module in _imports(PACKAGE / "_otlp_file.py"):
        assert not module.startswith("obskit"), module


def test_a_configured_service_never_loads_the_view(tmp_path: Path) -> None:
    """Not even when it exports to a file: the encoder is the runtime's own."""
    code = (
        "import sys, obskit, obskit.messaging, obskit.http, obskit.logging\n"
        "obskit.configure(service_name='orders', exporter='file', path=sys.argv[1])\n"
        "obskit.traced(lambda: None)()\n"
        "obskit.get_logger('x').info('hello')\n"
        "obskit.configure().shutdown()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('obskit.view', 'obskit.serve'))))\n"
    )
    exported = tmp_path / "t.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", code, str(exported)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert '"resourceSpans"' in exported.read_text()  # it did export


def test_serve_loads_grpc_and_the_protobuf_modules_only_when_it_runs() -> None:
    code = (
        "import sys, obskit.serve, obskit.serve._serve_cli\n"
        "print(sorted(m for m in sys.modules if m.startswith(('grpc', 'opentelemetry.proto'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
