"""The static checker behind ``obskit lint``, ``obskit check`` and ``obskit drift``.

Source is parsed, never imported: :func:`extract_names` finds every attribute, log field, metric
and event name a file emits; :func:`lint_paths` judges them with the same registry and rules as
the runtime validator. Reporters are plain functions over the located findings.
"""

from __future__ import annotations

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
