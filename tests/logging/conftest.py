"""Fixtures: obskit's log output captured as JSON lines, and settings for each mode."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from obskit._state import Mode, Settings, update_settings
from obskit.conventions import Registry, load_registry
from obskit.logging import configure_logging


class Output:
    """What obskit's loggers wrote, as raw lines and parsed JSON."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def out() -> Output:
    """JSON lines without timestamps, so tests can assert the exact rendered output."""
    output = Output()
    configure_logging(stream=output.stream, format="json", timestamps=False)
    return output


@pytest.fixture
def use_mode() -> Callable[..., None]:
    """Switch the settings as ``obskit.configure(mode=..., conventions=...)`` would (the
    plugin's reset undoes it after the test)."""

    def use(mode: Mode, registry: Registry | None = None) -> None:
        update_settings(Settings(mode=mode, registry=registry))

    return use


SHOP_YAML = """\
file_format: definition/2
attributes:
  - key: app.customer.email
    type: string
    brief: The customer's e-mail address.
    stability: stable
    annotations:
      obskit:
        log_key: customer_email
        sensitive: true
  - key: app.order.id
    type: string
    brief: An order.
    stability: stable
    annotations:
      obskit:
        log_key: order_id
        aliases: [orderId, oid]
  - key: app.order.total
    type: double
    brief: What the order costs.
    stability: stable
    deprecated:
      reason: renamed
      renamed_to: app.order.amount
  - key: app.order.amount
    type: double
    brief: What the order costs.
    stability: stable
    annotations:
      obskit:
        log_key: amount
"""


@pytest.fixture(scope="session")
def shop_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A tmp registry: obskit's own names plus a v2 file (``app.customer.email`` sensitive)."""
    directory: Path = tmp_path_factory.mktemp("conventions")
    (directory / "shop.yaml").write_text(SHOP_YAML)
    registry = load_registry(_config_builtin(), directory)
    assert not registry.errors
    return registry


def _config_builtin() -> Path:
    from obskit.conventions import BUILTIN_CONVENTIONS

    return BUILTIN_CONVENTIONS
