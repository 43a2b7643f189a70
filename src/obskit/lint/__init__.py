"""The static checker behind ``obskit lint``, ``obskit check`` and ``obskit drift``.

Source is parsed, never imported: :func:`extract_names` finds every attribute, log field, metric
and event name a file emits; :func:`lint_paths` judges them with the same registry and rules as
the runtime validator. Reporters are plain functions over the located findings.

Names load their module on first use: a pre-commit run of ``obskit lint`` imports neither
``check`` nor ``drift`` (nor the trace viewer ``check`` uses).
"""

from __future__ import annotations

import typing as _typing

from obskit._lazy import lazy_names as _lazy_names

if _typing.TYPE_CHECKING:
    from obskit.lint._check import CheckResult, check_files, observations
    from obskit.lint._drift import Inventory, find_drift, inventory
    from obskit.lint._extract import NameUse, extract_names
    from obskit.lint._lint import LintResult, lint_paths
    from obskit.lint._lint_config import LintConfig, load_config
    from obskit.lint._report import render_github, render_json, render_sarif, render_text
    from obskit.lint._results import LocatedFinding, Summary

__all__ = [
    "CheckResult",
    "Inventory",
    "LintConfig",
    "LintResult",
    "LocatedFinding",
    "NameUse",
    "Summary",
    "check_files",
    "extract_names",
    "find_drift",
    "inventory",
    "lint_paths",
    "load_config",
    "observations",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]

#: public name -> the module that defines it, imported on first access
_LAZY = {
    "CheckResult": "obskit.lint._check",
    "Inventory": "obskit.lint._drift",
    "LintConfig": "obskit.lint._lint_config",
    "LintResult": "obskit.lint._lint",
    "LocatedFinding": "obskit.lint._results",
    "NameUse": "obskit.lint._extract",
    "Summary": "obskit.lint._results",
    "check_files": "obskit.lint._check",
    "extract_names": "obskit.lint._extract",
    "find_drift": "obskit.lint._drift",
    "inventory": "obskit.lint._drift",
    "lint_paths": "obskit.lint._lint",
    "load_config": "obskit.lint._lint_config",
    "observations": "obskit.lint._check",
    "render_github": "obskit.lint._report",
    "render_json": "obskit.lint._report",
    "render_sarif": "obskit.lint._report",
    "render_text": "obskit.lint._report",
}


__getattr__, __dir__ = _lazy_names("obskit.lint", _LAZY, globals(), __all__)
