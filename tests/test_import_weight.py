"""``import obskit`` stays light: the heavy dependencies load only when a feature is used."""

from __future__ import annotations

import pytest

from tests.support.subprocess_run import run_python

#: loaded by the features that need them, never by a bare import
HEAVY = (
    "opentelemetry.sdk", "opentelemetry.exporter", "structlog", "rich", "yaml", "pika",
    "aio_pika", "nats", "redis", "paho", "aiokafka", "confluent_kafka", "starlette", "httpx",
    "requests", "wrapt", "asyncio",
)  # fmt: skip


def _loaded(code: str) -> list[str]:
    out = run_python(
        f"""
        import json, sys
        {code}
        heavy = {HEAVY!r}
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
        """
    )
    return [m for m in out["result"] if m.split(".")[0] in {h.split(".")[0] for h in HEAVY}]


def test_a_bare_import_loads_none_of_the_heavy_dependencies() -> None:
    assert _loaded("import obskit") == []


@pytest.mark.parametrize(
    ("use", "loads"),
    [
        ("obskit.configure(exporter='none')", "opentelemetry.sdk"),
        ("obskit.get_logger('x')", "structlog"),
        ("obskit.traced", "wrapt"),
    ],
)
def test_each_public_name_loads_its_subsystem_on_first_use(use: str, loads: str) -> None:
    assert loads in _loaded(f"import obskit; {use}")


def test_the_lint_command_loads_no_runtime_dependency() -> None:
    loaded = _loaded(
        "from obskit.cli import main; import tempfile, pathlib\n"
        "        path = pathlib.Path(tempfile.mkdtemp()) / 'x.py'; path.write_text('x = 1')\n"
        "        main(['lint', str(path)])"
    )
    assert [m for m in loaded if not m.startswith("yaml")] == []


def test_decorating_and_calling_a_handler_loads_no_logging_yaml_or_broker_client() -> None:
    loaded = _loaded(
        "import obskit\n"
        "        @obskit.traced.consumer('orders', system='rabbitmq')\n"
        "        def handle(message): return message\n"
        "        handle({'headers': {}})"
    )
    light = ("structlog", "rich", "yaml", "pika", "aio_pika", "nats", "redis", "paho", "aiokafka")
    assert [m for m in loaded if m.startswith(light)] == []
