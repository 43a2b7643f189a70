"""Mutation score of one core module, measured with mutmut 3 in a scratch copy of the tree.

    python3 scripts/mutation.py errors        # or propagation, redaction, consumer
    python3 scripts/mutation.py errors --keep # leave the scratch copy for `mutmut browse`

mutmut owns the tree it runs in (it writes ``mutants/``), so the source, tests and
pyproject.toml are copied to a temporary directory first: nothing here touches your files.
Each module is run against the tests that target it. Mutants listed as equivalent in
docs/reliability.md ("Equivalent mutants") are left out of the score, each with its reason.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: module -> (files mutated, tests run against every mutant)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "propagation": (
        [
            "src/obskit/propagation.py",
            "src/obskit/_carriers.py",
            "src/obskit/_traceparent.py",
            "src/obskit/_tracestate.py",
        ],
        [
            "tests/propagation/test_propagation.py",
            "tests/propagation/test_carriers.py",
            "tests/propagation/test_extract_inject.py",
            "tests/propagation/test_tracestate.py",
            "tests/propagation/test_baggage.py",
            "tests/test_untested_behaviours.py",
        ],
    ),
    "redaction": (
        [
            "src/obskit/_sensitive.py",
            "src/obskit/http/_http_redaction.py",
        ],
        [
            "tests/test_redaction_rules.py",
            "tests/test_sensitive.py",
            "tests/logging/test_redact.py",
            "tests/http/test_fast_paths.py",
        ],
    ),
    "errors": (
        ["src/obskit/errors.py"],
        [
            "tests/test_error_policy.py",
            "tests/test_cancellation.py",
            "tests/messaging/test_decision.py",
        ],
    ),
    "consumer": (
        ["src/obskit/messaging/_consumer.py"],
        [
            "tests/messaging/test_consumer.py",
            "tests/messaging/test_consumer_outcomes.py",
            "tests/messaging/test_consumer_without_sdk.py",
            "tests/messaging/test_context_missing.py",
            "tests/messaging/test_overtaken.py",
            "tests/test_untested_behaviours.py",
            "tests/test_cancellation.py",
            "tests/test_no_sdk.py",
        ],
    ),
}

_EQUIVALENT = re.compile(r"^- `(?P<name>[\w.]+__mutmut_\d+)`: \S", re.MULTILINE)


def equivalent_mutants() -> set[str]:
    """The mutants docs/reliability.md lists as equivalent (one line and one reason each)."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    return set(_EQUIVALENT.findall(text))


def run(module: str, keep: bool, max_children: int) -> dict[str, object]:
    sources, tests = MODULES[module]
    tests = [t for t in tests if (ROOT / t).exists()]
    scratch = Path(tempfile.mkdtemp(prefix=f"obskit-mutation-{module}-"))
    try:
        for name in ("src", "tests", "conventions"):
            shutil.copytree(
                ROOT / name, scratch / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        config = (ROOT / "pyproject.toml").read_text()
        config += "\n[tool.mutmut]\n" + "\n".join(
            [
                'source_paths = ["src/"]',
                f"only_mutate = {json.dumps(sources)}",
                f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
                'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly"]',
                'also_copy = ["conventions/"]',
                "mutate_only_covered_lines = false",
            ]
        )
        (scratch / "pyproject.toml").write_text(config)
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)],
            cwd=scratch,
            env={**os.environ, "OBSKIT_FUZZ_EXAMPLES": "50"},  # a bounded fuzz per mutant
            check=False,
        )
        subprocess.run(
            [sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=scratch, check=True
        )
        listed = subprocess.run(
            [sys.executable, "-m", "mutmut", "results", "--all", "true"],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        status = dict(
            (name.strip(), state.strip())
            for name, _, state in (line.partition(":") for line in listed.splitlines())
            if state
        )
        equivalent = equivalent_mutants() & set(status)
        judged = {name: s for name, s in status.items() if name not in equivalent}
        killed = sum(
            1 for s in judged.values() if s in ("killed", "timeout", "caught by type check")
        )
        survived = sorted(
            name
            for name, s in judged.items()
            if s not in ("killed", "timeout", "caught by type check")
        )
        result = {
            "module": module,
            "mutants": len(status),
            "equivalent": len(equivalent),
            "killed": killed,
            "score": round(100 * killed / max(len(judged), 1), 1),
            "survivors": {name: judged[name] for name in survived},
        }
        return result
    finally:
        if keep:
            print(f"scratch copy kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", choices=sorted(MODULES))
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args()
    result = run(args.module, args.keep, args.max_children)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
