"""RulesConfig from [tool.obskit] in a pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from obskit.conventions import ConfigError, Level, RulesConfig


def test_reads_tool_obskit(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        """
[tool.obskit]
conventions = ["conventions", "more/extra.yaml"]
prefix = "acme"
select = ["near_duplicate", "deprecated"]
ignore = ["deprecated"]
max-name-length = 64

[tool.obskit.levels]
near_duplicate = "improvement"
""",
        encoding="utf-8",
    )
    config = RulesConfig.from_pyproject(path)
    assert config.prefix == "acme"
    assert config.conventions == (tmp_path / "conventions", tmp_path / "more/extra.yaml")
    assert config.select == frozenset({"near_duplicate", "deprecated"})
    assert config.max_length == 64
    assert config.levels == {"near_duplicate": Level.IMPROVEMENT}
    assert config.enabled("near_duplicate") and not config.enabled("deprecated")
    assert not config.enabled("missing_attribute")


def test_missing_table_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert RulesConfig.from_pyproject(path) == RulesConfig()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("[tool.obskit.levels]\nx = 'loud'\n", "unknown level"),
        ("[tool.obskit]\nmax-name-length = 'long'\n", "max-name-length"),
        ("[tool.obskit]\nselect = 3\n", "select"),
        ("[tool.obskit\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        RulesConfig.from_pyproject(path)


def test_config_is_frozen() -> None:
    config = RulesConfig(levels={"deprecated": Level.INFORMATION})
    with pytest.raises(AttributeError):
        config.prefix = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.levels["x"] = Level.VIOLATION  # type: ignore[index]
