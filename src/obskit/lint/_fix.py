"""``--fix``: rewrite renamed, deprecated and aliased names in place, and nothing else.

Only replacements the registry states are applied: a ``renamed_to`` chain, a declared alias, an
old log key. A near-duplicate is a guess, so it is reported, not rewritten. Edits replace the exact
source span of one string literal or keyword name, so formatting and comments survive.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from obskit.conventions import Attribute, Metric, Registry
from obskit.lint._extract import NameUse, Spelling
from obskit.lint._files import source_lines

__all__ = ["Change", "FilePlan", "Fixer", "Unfixable", "unified_diff"]

#: finding codes a rename could address; uses with one and no safe fix are reported
FIX_CODES: Final = frozenset({"deprecated", "near_duplicate"})
_LITERAL: Final = re.compile(r"^([rRuU]?)('''|\"\"\"|'|\")(.*)\2$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    line: int
    col: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Unfixable:
    path: str
    line: int
    col: int
    name: str
    reason: str


@dataclass(slots=True)
class FilePlan:
    """What ``--fix`` would do to one file."""

    path: Path
    original: str
    fixed: str = ""
    #: the file started with a UTF-8 byte-order mark (written back with the fix)
    bom: bool = False
    changes: list[Change] = field(default_factory=list)
    unfixable: list[Unfixable] = field(default_factory=list)


class Fixer:
    """Knows, for one registry, which spellings have a stated replacement."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._log_keys: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        # deprecated first, so a live attribute owns a spelling both claim (as the registry does)
        ordered = sorted(registry.attributes.values(), key=lambda a: not a.retired)
        for attribute in ordered:
            if attribute.log_key:
                self._log_keys[attribute.log_key] = attribute.name
            for alias in attribute.aliases:
                self._aliases[alias] = attribute.name

    def _final(self, name: str) -> str:
        # resolve() is None when the renames loop or end on a deprecated name: nothing to apply
        return self.registry.resolve(name) or name

    def _no_replacement(self, use: NameUse) -> str:
        registry = self.registry
        if use.kind == "metric":
            entry: Attribute | Metric | None = registry.metrics.get(use.name)
        else:
            entry = registry.get(self._log_keys.get(use.name, use.name))
        if entry is not None and entry.renamed_to:
            return "its renamed_to chain loops or ends on a deprecated name"
        return "no replacement stated in the registry"

    def replacement(self, use: NameUse) -> str | None:
        """The stated new spelling for ``use``, or ``None`` if there is none."""
        name = use.name
        if use.kind == "metric":
            final = self.registry.metric_replacement(name)
            return final if final is not None and final != name else None
        registry = self.registry
        as_key = False
        alias = False
        if registry.get(name) is not None:
            base = name
        elif name in self._log_keys:
            base, as_key = self._log_keys[name], True
        elif name in self._aliases:
            base, alias = self._aliases[name], True
        else:
            return None
        final = self._final(base)
        if final == base and not alias:
            return None
        as_log_key = use.kind == "log_field" and (as_key or alias)
        new = registry.log_key(final) if as_log_key else final
        return new if new != name else None

    def plan(
        self, path: Path, text: str, uses: Iterable[NameUse], codes: dict[int, set[str]]
    ) -> FilePlan:
        """Plan the edits for one file; ``codes`` maps ``id(use)`` to its finding codes."""
        plan = FilePlan(path, text)
        edits: dict[tuple[int, int], tuple[Spelling, str, str, NameUse]] = {}
        for use in uses:
            if use.dynamic:
                continue
            new = self.replacement(use)
            where = (str(path), use.line, use.col, use.name)
            wanted = codes.get(id(use), set()) & FIX_CODES
            if new is None:
                if wanted:
                    plan.unfixable.append(Unfixable(*where, self._no_replacement(use)))
                continue
            if not wanted:
                continue  # its finding is suppressed (``# obskit: ignore``, per-path ignores)
            spelling = use.spelling
            if spelling is None:
                reason = (
                    f"defined by a constant outside this file or also used for something "
                    f"else; use '{new}'"
                )
                plan.unfixable.append(Unfixable(*where, reason))
                continue
            if spelling.style == "keyword" and (not new.isidentifier() or keyword.iskeyword(new)):
                reason = f"'{new}' cannot be a keyword argument"
                plan.unfixable.append(Unfixable(*where, reason))
                continue
            edits[(spelling.line, spelling.col)] = (spelling, use.name, new, use)
        plan.fixed = text
        applied: list[tuple[Spelling, str, str, NameUse]] = []
        for edit in sorted(edits.values(), key=lambda e: (e[0].line, e[0].col)):
            candidate = _apply(text, [*applied, edit])
            if candidate is None:
                _, old, _, use = edit
                plan.unfixable.append(
                    Unfixable(str(path), use.line, use.col, old, "not a plain literal")
                )
                continue
            try:
                compile(candidate, str(path), "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                _, old, new, use = edit
                reason = f"renaming to '{new}' would not parse (a duplicate keyword?)"
                plan.unfixable.append(Unfixable(str(path), use.line, use.col, old, reason))
                continue
            applied.append(edit)
            plan.fixed = candidate
        plan.changes = [
            Change(str(path), use.line, use.col, old, new) for _, old, new, use in applied
        ]
        plan.changes.sort(key=lambda c: (c.line, c.col))
        plan.unfixable.sort(key=lambda u: (u.line, u.col))
        return plan


def _apply(text: str, edits: list[tuple[Spelling, str, str, NameUse]]) -> str | None:
    lines = source_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, byte_col: int) -> int:
        content = lines[line - 1]
        return starts[line - 1] + len(content.encode("utf-8")[:byte_col].decode("utf-8"))

    result = text
    for spelling, old, new, _ in sorted(edits, key=lambda e: (e[0].line, e[0].col), reverse=True):
        start = offset(spelling.line, spelling.col)
        end = offset(spelling.end_line, spelling.end_col)
        segment = text[start:end]
        if spelling.style == "keyword":
            if segment != old:
                return None
            replacement = new
        else:
            match = _LITERAL.match(segment)
            if match is None or match.group(3) != old:
                return None
            replacement = f"{match.group(1)}{match.group(2)}{new}{match.group(2)}"
        result = result[:start] + replacement + result[end:]
    return result


def unified_diff(plan: FilePlan) -> str:
    """A ``git apply``-able diff of one plan (empty when nothing changes)."""
    if plan.fixed == plan.original:
        return ""
    name = plan.path.as_posix().lstrip("/")
    return "".join(
        difflib.unified_diff(
            source_lines(plan.original),
            source_lines(plan.fixed),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )
