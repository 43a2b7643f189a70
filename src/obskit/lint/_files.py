"""Which files to lint: walk the paths, skipping virtualenvs, caches and ``.gitignore``d paths.

A tree with a symlink loop, an unreadable directory or 10,000 files must still be walked to the
end, so every problem becomes a :class:`Problem` for that one path instead of an exception.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "SKIPPED_DIRS",
    "GitIgnore",
    "Problem",
    "Source",
    "iter_python_files",
    "load_source",
    "read_source",
    "source_lines",
    "write_source",
]

_BOM: Final = b"\xef\xbb\xbf"

SKIPPED_DIRS: Final = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        "site-packages",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A path that could not be walked or read."""

    path: str
    message: str


class GitIgnore:
    """The common subset of ``.gitignore``: globs, ``**``, anchors, ``dir/`` and ``!`` negation.

    Own small matcher rather than a dependency: a linter that skips a few exotic patterns too
    few is harmless, and the project does not declare ``pathspec``.
    """

    def __init__(self, root: Path, lines: list[str]) -> None:
        self.root = Path(os.path.abspath(root))
        self._rules: list[tuple[re.Pattern[str], bool, bool]] = []
        for raw in lines:
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.strip("/") if dir_only else line
            anchored = "/" in line
            line = line.lstrip("/")
            if not line:
                continue
            body = _glob_to_regex(line)
            prefix = "" if anchored else "(?:.*/)?"
            self._rules.append((re.compile(f"^{prefix}{body}$"), negate, dir_only))

    @classmethod
    def load(cls, root: Path) -> GitIgnore:
        try:
            text = (root / ".gitignore").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        return cls(root, text.splitlines())

    def ignored(self, path: Path, is_dir: bool) -> bool:
        try:
            rel = Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return False
        result = False
        for pattern, negate, dir_only in self._rules:
            if dir_only and not is_dir:
                continue
            if pattern.match(rel):
                result = not negate
        return result


def _glob_to_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = glob[i + 1 : end].replace("\\", "\\\\")
                out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def iter_python_files(
    paths: list[Path], gitignore: GitIgnore | None = None
) -> Iterator[Path | Problem]:
    """Yield ``.py`` files under ``paths`` (named files always), or a Problem per bad path."""
    seen_dirs: set[tuple[int, int]] = set()
    for path in paths:
        try:
            if path.is_dir():
                yield from _walk(path, gitignore, seen_dirs)
            elif path.exists():
                yield path
            elif path.is_symlink():
                yield Problem(str(path), "broken symlink or symlink loop")
            else:
                yield Problem(str(path), "no such file or directory")
        except OSError as error:
            yield Problem(str(path), error.strerror or str(error))


def _walk(
    top: Path, gitignore: GitIgnore | None, seen: set[tuple[int, int]]
) -> Iterator[Path | Problem]:
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            info = directory.stat()
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue  # a symlink back up the tree, or the same directory twice
            seen.add(key)
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            yield Problem(str(directory), error.strerror or str(error))
            continue
        if directory != top and any(e.name == "pyvenv.cfg" for e in entries):
            continue  # a virtualenv, whatever its name
        subdirs: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError as error:
                yield Problem(str(path), error.strerror or str(error))
                continue
            if is_dir:
                if entry.name in SKIPPED_DIRS or entry.name.endswith(".egg-info"):
                    continue
                if gitignore is None or not gitignore.ignored(path, True):
                    subdirs.append(path)
            elif entry.name.endswith(".py"):
                if gitignore is not None and gitignore.ignored(path, False):
                    continue
                if is_file:
                    yield path
                elif entry.is_symlink():
                    yield Problem(str(path), "broken symlink or symlink loop")
        stack.extend(reversed(subdirs))


def source_lines(text: str) -> list[str]:
    r"""``text`` split into lines as Python numbers them, each keeping its line end.

    Only ``\r\n``, ``\r`` and ``\n`` end a line (as for ``ast`` and ``tokenize``);
    ``str.splitlines`` also splits on U+2028, form feeds and other separators, which may appear
    inside string literals and comments.
    """
    return io.StringIO(text, newline="").readlines()


@dataclass(frozen=True, slots=True)
class Source:
    """A file's decoded text and whether it started with a UTF-8 byte-order mark."""

    text: str
    bom: bool = False


def read_source(path: Path, *, cookie: bool = True) -> str:
    """The file's text; ``ValueError`` with a reason when it is not Python source text.

    UTF-8, or the encoding a PEP 263 ``# -*- coding: ... -*-`` line declares (``cookie=False``
    accepts UTF-8 only: what ``--fix`` can write back unchanged).
    """
    return load_source(path, cookie=cookie).text


def load_source(path: Path, *, cookie: bool = True) -> Source:
    """Like :func:`read_source`, remembering a UTF-8 BOM so :func:`write_source` can keep it."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(error.strerror or str(error)) from None
    if b"\0" in data:
        raise ValueError("binary file (contains NUL bytes)")
    bom = data.startswith(_BOM)
    try:
        return Source(data[len(_BOM) if bom else 0 :].decode("utf-8"), bom)
    except UnicodeDecodeError as error:
        problem = ValueError(f"not UTF-8 text (byte {error.start})")
    if cookie:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            raise problem from None
        if encoding not in ("utf-8", "utf-8-sig"):
            try:
                return Source(data.decode(encoding))
            except (UnicodeDecodeError, LookupError):
                pass
    raise problem


def write_source(path: Path, text: str, *, bom: bool = False) -> None:
    """Write UTF-8 ``text`` back byte for byte: line ends untranslated, the BOM if it had one."""
    path.write_bytes((_BOM if bom else b"") + text.encode("utf-8"))
