"""Registry sources the tests use, all inside the repository.

``MODEL`` is the vendored official semantic-conventions model (Apache-2.0, with its LICENSE);
``DEMO_CONVENTIONS`` the demo shop's ``app.*`` names, which no default registry includes.
"""

from __future__ import annotations

from pathlib import Path

MODEL = Path(__file__).resolve().parents[1] / "conventions" / "semconv" / "model"
DEMO_CONVENTIONS = (
    Path(__file__).resolve().parents[2] / "src" / "obskit" / "demo" / "conventions.yaml"
)
