"""The public surface of obskit.logging."""

from __future__ import annotations

import obskit
import obskit.logging


def test_all_names_exist_and_nothing_else_is_public() -> None:
    # ("@py_*" names: pytest's assertion rewriting, when it rewrites plugin distributions)
    public = {n for n in vars(obskit.logging) if not n.startswith(("_", "@"))} - {"annotations"}
    assert public == set(obskit.logging.__all__)
    assert obskit.get_logger is obskit.logging.get_logger
