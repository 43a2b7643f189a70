"""``obskit lint`` over the sample shop: exact findings, positions, summary and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.lint.conftest import RunCli

EXPECTED = """\
legacy/old.py:6:24: deprecated 'http.method' is deprecated (renamed): use 'http.request.method'
orders/service.py:17:34: invalid_format 'orderLatency' must be lowercase [a-z][a-z0-9]* parts joined by single '.' or '_'
orders/service.py:23:28: deprecated 'http.method' is deprecated (renamed): use 'http.request.method'
orders/service.py:24:28: deprecated 'http.method' is deprecated (renamed): use 'http.request.method'
orders/service.py:25:28: deprecated 'app.client.id' is deprecated (renamed): use 'app.customer.id'
orders/service.py:27:28: type_mismatch 'app.order.total' is registered as double, got str
orders/service.py:28:30: near_duplicate 'app.order_number' is another spelling of the registered 'app.order.id' (log key 'order_id')
orders/service.py:28:64: invalid_format 'orderStatus' must be lowercase [a-z][a-z0-9]* parts joined by single '.' or '_'
orders/service.py:30:53: near_duplicate 'orderId' is another spelling of the registered 'app.order.id' (log key 'order_id')
orders/service.py:32:18: near_duplicate 'orderId' is another spelling of the registered 'app.order.id' (log key 'order_id')
orders/service.py:32:36: deprecated 'client_id' is deprecated (renamed): use 'app.customer.id' (log key 'customer_id')
"""  # noqa: E501

SUMMARY = (
    "obskit: 3 files; 23 names checked; 11 violation, 0 improvement, 0 information; "
    "1 dynamic names; 3 suppressed\n"
)


def test_reports_every_finding_with_position_and_summary(shop: Path, cli: RunCli) -> None:
    result = cli("lint")
    assert result.out == EXPECTED + SUMMARY
    assert result.code == 1


def test_dynamic_names_are_counted_and_reported_on_request(shop: Path, cli: RunCli) -> None:
    result = cli("lint", "--report-dynamic", "orders")
    line = (
        "orders/service.py:34:28: dynamic_name attribute name computed at run time: "
        "f'app.{order.kind}'\n"
    )
    assert line in result.out
    assert "1 information; 1 dynamic names" in result.out


def test_clean_file_exits_zero(shop: Path, cli: RunCli) -> None:
    clean = shop / "orders" / "clean.py"
    clean.write_text(
        "from opentelemetry import trace\n\n"
        "trace.get_current_span().set_attribute('app.order.id', 'o-1')\n"
    )
    result = cli("lint", clean)
    assert result.code == 0
    assert result.out == (
        "obskit: 1 files; 1 names checked; 0 violation, 0 improvement, 0 information; "
        "0 dynamic names\n"
    )


def test_fail_on_level(shop: Path, cli: RunCli) -> None:
    legacy = shop / "orders" / "improve.py"
    legacy.write_text("import structlog\n\nstructlog.get_logger().info('x', status='ok')\n")
    assert cli("lint", legacy).code == 0  # missing_namespace is only an improvement
    assert cli("lint", legacy, "--fail-on", "improvement").code == 1
    assert cli("lint", legacy, "--fail-on", "bogus").code == 2


def test_select_and_ignore(shop: Path, cli: RunCli) -> None:
    selected = cli("lint", "--select", "deprecated")
    assert {line.split()[1] for line in selected.out.splitlines()[:-1]} == {"deprecated"}
    ignored = cli("lint", "--ignore", "deprecated,near_duplicate,type_mismatch,invalid_format")
    assert ignored.code == 0
    assert "deprecated" not in ignored.out.replace("obskit:", "")


def test_per_path_ignores_from_pyproject(shop: Path, cli: RunCli) -> None:
    result = cli("lint", "legacy")
    # "legacy/**" ignores missing_attribute and missing_namespace: only the rename remains
    assert result.out.splitlines()[0] == (
        "legacy/old.py:6:24: deprecated 'http.method' is deprecated (renamed): "
        "use 'http.request.method'"
    )
    assert "1 suppressed" in result.out  # one finding per name and place


def test_inline_ignores(shop: Path, cli: RunCli) -> None:
    result = cli("lint", "orders/service.py")
    # line 35: ignore[invalid_format] drops the one finding there (the most specific, so no
    # lesser one stands in for it); line 36: a bare ignore drops all
    assert "service.py:35:" not in result.out
    assert "service.py:36:" not in result.out
    assert "2 suppressed" in result.out


def test_inline_ignore_marker_inside_a_string_does_not_count(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "s.py"
    source.write_text(
        "def f(span):\n    span.set_attribute('cart', '# obskit: ignore')\n", encoding="utf-8"
    )
    result = cli("lint", "--no-semconv", source)
    assert ":2:24: missing_namespace" in result.out


def test_prefix_override_changes_the_rules(shop: Path, cli: RunCli) -> None:
    source = shop / "orders" / "foreign.py"
    source.write_text("def f(span):\n    span.set_attribute('http.shop_flavour', 'x')\n")
    result = cli("lint", source, "--prefix", "acme")
    assert "put custom names under 'acme.'" in result.out


def test_registry_and_config_options(shop: Path, cli: RunCli, tmp_path: Path) -> None:
    # without the project's registry, its own names are unknown, the demo's too (never built in)
    other = tmp_path / "empty.yaml"
    other.write_text("groups: []\n")
    result = cli("lint", "orders/service.py", "--registry", other)
    assert "'app.order.total' is not in the registry" in result.out
    assert "'app.order.id' is not in the registry" in result.out
    assert cli("lint", "--config", tmp_path / "missing.toml").code == 2


def test_invalid_config_is_a_usage_error(shop: Path, cli: RunCli) -> None:
    (shop / "pyproject.toml").write_text('[tool.obskit]\nfail-on = "sometimes"\n')
    result = cli("lint")
    assert result.code == 2
    assert "fail-on" in result.err


def test_json_format(shop: Path, cli: RunCli) -> None:
    result = cli("lint", "--format", "json", "legacy")
    assert json.loads(result.out) == [
        {
            "path": "legacy/old.py",
            "line": 6,
            "col": 24,
            "end_col": 37,
            "code": "deprecated",
            "level": "violation",
            "name": "http.method",
            "message": "'http.method' is deprecated (renamed): use 'http.request.method'",
            "suggestion": "http.request.method",
            "context": None,
        }
    ]
    assert result.err.startswith("obskit: 1 files;")


def test_github_format(shop: Path, cli: RunCli) -> None:
    result = cli("lint", "--format", "github", "orders/service.py")
    lines = result.out.splitlines()
    assert lines[0] == (
        "::error file=orders/service.py,line=17,col=34,title=invalid_format::'orderLatency' must "
        "be lowercase [a-z][a-z0-9]* parts joined by single '.' or '_'"
    )
    assert not any("title=missing_metric" in line for line in lines)  # one per name and place


def test_usage_errors_exit_two(cli: RunCli) -> None:
    assert cli("lint", "--format", "xml").code == 2
    assert cli("lint", "--write-baseline").code == 2
