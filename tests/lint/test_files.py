"""Robustness: bad files get one clear finding each and the rest are still checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from obskit.lint._files import GitIgnore, Problem, iter_python_files
from tests.lint.conftest import RunCli

BAD_NAME = "def f(span):\n    span.set_attribute('cart', 1)\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    monkeypatch.chdir(root)
    (root / "good.py").write_text(BAD_NAME)
    return root


def _codes(out: str) -> list[tuple[str, str]]:
    return [(line.split(": ")[0], line.split()[1]) for line in out.splitlines()[:-1]]


def test_syntax_error_binary_and_non_utf8(tree: Path, cli: RunCli) -> None:
    (tree / "broken.py").write_text("def f(:\n    log.info('x')\n")  # parsed: it may emit
    (tree / "binary.py").write_bytes(b"\x00\x01\x02ELF")
    (tree / "latin1.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    result = cli("lint", "--no-semconv", ".")
    assert result.code == 1
    assert _codes(result.out) == [
        ("binary.py:1:1", "unreadable"),
        ("broken.py:1:7", "parse_error"),
        ("good.py:2:24", "missing_namespace"),
        ("latin1.py:1:1", "unreadable"),
    ]
    assert "binary.py:1:1: unreadable cannot read: binary file (contains NUL bytes)" in result.out
    assert "latin1.py:1:1: unreadable cannot read: not UTF-8 text (byte 8)" in result.out
    assert "broken.py:1:7: parse_error syntax error: invalid syntax" in result.out


def test_symlink_loops(tree: Path, cli: RunCli) -> None:
    (tree / "pkg").mkdir()
    os.symlink(tree, tree / "pkg" / "back")  # a directory loop
    os.symlink("loop_b.py", tree / "loop_a.py")  # a file loop
    os.symlink("loop_a.py", tree / "loop_b.py")
    result = cli("lint", "--no-semconv", ".")
    assert _codes(result.out) == [
        ("good.py:2:24", "missing_namespace"),
        ("loop_a.py:1:1", "unreadable"),
        ("loop_b.py:1:1", "unreadable"),
    ]
    assert "loop_a.py:1:1: unreadable Too many levels of symbolic links" in result.out
    assert result.out.endswith(
        "obskit: 1 files; 1 names checked; 2 violation, 1 improvement, 0 information; "
        "0 dynamic names\n"
    )


def test_ten_thousand_files(tree: Path, cli: RunCli) -> None:
    for index in range(100):
        directory = tree / f"d{index:03}"
        directory.mkdir()
        for number in range(100):
            (directory / f"m{number:03}.py").write_text(f"VALUE = {number}\n")
    (tree / "d050" / "m050.py").write_text(BAD_NAME)
    result = cli("lint", "--no-semconv", ".")
    assert result.out.splitlines()[:1] == [
        "d050/m050.py:2:24: missing_namespace 'cart' has no namespace",
    ]
    assert result.out.splitlines()[-1].startswith("obskit: 10001 files; 2 names checked;")


def test_skips_virtualenvs_caches_and_gitignored_paths(shop: Path) -> None:
    (shop / "env").mkdir()
    (shop / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (shop / "env" / "mod.py").write_text(BAD_NAME)
    # matched by the sample's .gitignore (created here, or git would not commit them either)
    (shop / "build").mkdir()
    (shop / "build" / "generated.py").write_text(BAD_NAME)
    (shop / "orders" / "skip.generated.py").write_text(BAD_NAME)
    for skipped in ("site-packages", "node_modules", "__pycache__", ".git", "venv", ".venv"):
        (shop / skipped).mkdir()
        (shop / skipped / "mod.py").write_text(BAD_NAME)
    found = sorted(
        p.as_posix()
        for p in iter_python_files([Path(".")], GitIgnore.load(shop))
        if isinstance(p, Path)
    )
    assert found == ["legacy/old.py", "orders/__init__.py", "orders/service.py"]


def test_named_files_are_always_linted_and_missing_ones_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    assert list(iter_python_files([missing])) == [
        Problem(str(missing), "no such file or directory")
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("build/", "build", True, True),
        ("build/", "build", False, False),
        ("*.generated.py", "a/b/x.generated.py", False, True),
        ("/top.py", "top.py", False, True),
        ("/top.py", "sub/top.py", False, False),
        ("docs/**/*.py", "docs/a/b/c.py", False, True),
        ("gen_?.py", "gen_1.py", False, True),
        ("[ab].py", "a.py", False, True),
    ],
)
def test_gitignore_patterns(
    tmp_path: Path, pattern: str, path: str, is_dir: bool, ignored: bool
) -> None:
    assert GitIgnore(tmp_path, [pattern]).ignored(tmp_path / path, is_dir) is ignored


def test_gitignore_negation_and_comments(tmp_path: Path) -> None:
    rules = GitIgnore(tmp_path, ["# comment", "*.py", "!keep.py", ""])
    assert rules.ignored(tmp_path / "x.py", False)
    assert not rules.ignored(tmp_path / "keep.py", False)


def test_a_declared_source_encoding_is_honoured(tree: Path, cli: RunCli) -> None:
    (tree / "declared.py").write_bytes(
        "# -*- coding: latin-1 -*-\nspan.set_attribute('caf\xe9', 1)\n".encode("latin-1")
    )
    result = cli("lint", "--no-semconv", "--select", "invalid_format", "declared.py")
    assert result.out.splitlines()[0] == (
        "declared.py:2:20: invalid_format 'café' must be lowercase [a-z][a-z0-9]* parts joined "
        "by single '.' or '_'"
    )
