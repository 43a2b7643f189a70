"""``--fix`` and ``--diff``: stated renames and aliases rewritten in place, guesses reported."""

from __future__ import annotations

from pathlib import Path

from tests.lint.conftest import SAMPLES, RunCli

FIXED_LINES = {
    24: '        span.set_attribute("http.request.method", "GET")',
    25: '        span.set_attribute("app.customer.id", order.customer)',
    28: '        span.set_attributes({"app.order.id": order.number, "orderStatus": order.status})',
    30: '        log.info("order_placed", order_id=order.id, orderId=order.id)',
    32: '        log.bind(order_id=order.id, customer_id=order.customer).debug("bound")  # keep me',
}


def test_fix_rewrites_in_place_keeping_everything_else(shop: Path, cli: RunCli) -> None:
    before = (shop / "orders" / "service.py").read_text().splitlines()
    result = cli("lint", "--fix")
    after = (shop / "orders" / "service.py").read_text().splitlines()
    assert len(after) == len(before)
    for number, (old, new) in enumerate(zip(before, after, strict=True), 1):
        assert new == FIXED_LINES.get(number, old), number
    assert (shop / "legacy" / "old.py").read_text().splitlines()[5] == (
        '    span.set_attribute("http.request.method", "GET")'
    )
    fixes = [line for line in result.out.splitlines() if ": fixed " in line]
    assert fixes == [
        "legacy/old.py:6:24: fixed 'http.method' -> 'http.request.method'",
        "orders/service.py:24:28: fixed 'http.method' -> 'http.request.method'",
        "orders/service.py:25:28: fixed 'app.client.id' -> 'app.customer.id'",
        "orders/service.py:28:30: fixed 'app.order_number' -> 'app.order.id'",
        "orders/service.py:32:18: fixed 'orderId' -> 'order_id'",
        "orders/service.py:32:36: fixed 'client_id' -> 'customer_id'",
    ]
    not_fixed = [line for line in result.out.splitlines() if ": not fixed " in line]
    assert not_fixed == [
        "orders/service.py:23:28: not fixed 'http.method': defined by a constant outside this "
        "file or also used for something else; use 'http.request.method'",
        "orders/service.py:30:53: not fixed 'orderId': renaming to 'order_id' would not parse "
        "(a duplicate keyword?)",
    ]
    # what is left is reported as usual: the semconv constant and the duplicate keyword
    assert "orders/service.py:23:28: deprecated" in result.out
    assert "orders/service.py:24:28: deprecated" not in result.out
    assert result.code == 1


def test_fix_follows_rename_chains(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "chain.py"
    source.write_text("def f(span):\n    span.set_attribute('app.client.id', 'c')  # chain\n")
    registry = SAMPLES / "shop" / "conventions"
    cli("lint", "--fix", "--registry", registry, "--no-semconv", source)
    assert source.read_text() == (
        "def f(span):\n    span.set_attribute('app.customer.id', 'c')  # chain\n"
    )


def test_near_duplicates_are_not_guessed(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "guess.py"
    text = "def f(span):\n    span.set_attribute('app.customerId', 'c')\n"
    source.write_text(text)
    registry = SAMPLES / "shop" / "conventions"
    result = cli("lint", "--fix", "--registry", registry, "--no-semconv", source)
    assert source.read_text() == text
    assert f"{source}:2:24: not fixed 'app.customerId': no replacement stated in the registry" in (
        result.out
    )


def test_diff_prints_without_writing(shop: Path, cli: RunCli) -> None:
    before = (shop / "legacy" / "old.py").read_text()
    result = cli("lint", "--diff", "legacy")
    assert (shop / "legacy" / "old.py").read_text() == before
    assert result.out == (
        "--- a/legacy/old.py\n"
        "+++ b/legacy/old.py\n"
        "@@ -3,4 +3,4 @@\n"
        " \n"
        " def legacy(span: trace.Span) -> None:\n"
        '     span.set_attribute("legacy", 1)\n'
        '-    span.set_attribute("http.method", "GET")\n'
        '+    span.set_attribute("http.request.method", "GET")\n'
    )
    assert result.code == 1


def test_diff_with_nothing_to_fix_exits_zero(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "ok.py"
    source.write_text("x = 1\n")
    result = cli("lint", "--diff", "--no-semconv", source)
    assert (result.code, result.out) == (0, "")


def test_fix_counts_lines_as_python_does(tmp_path: Path, cli: RunCli) -> None:
    # str.splitlines() also breaks at U+2028, form feeds, U+0085 ...; ast line numbers do not
    source = tmp_path / "seps.py"
    call = '    span.set_attribute("http.method", "GET")\n'
    text = 'def f(span):\n    x = "a\u2028b\x0c\x1c\x1d\x1e\x85\u2029\x0bc"\n' + call * 3
    source.write_bytes(text.encode())
    diff = cli("lint", "--diff", source)
    assert "@@ -1,5 +1,5 @@\n" in diff.out
    assert diff.out.count('\n-    span.set_attribute("http.method", "GET")') == 3
    result = cli("lint", "--fix", source)
    fixed = call.replace("http.method", "http.request.method")
    assert source.read_bytes().decode() == text.replace(call, fixed)
    assert [line for line in result.out.splitlines() if "fixed" in line] == [
        f"{source}:{n}:24: fixed 'http.method' -> 'http.request.method'" for n in (3, 4, 5)
    ]


def test_fix_keeps_the_bom_and_line_ends(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "bom.py"
    before = (
        b"\xef\xbb\xbf# caf\xc3\xa9\r\n"
        b"def f(span):\r\n"
        b"    span.set_attribute('http.method', 'GET')  # keep\r\n"
        b"\r\n"
    )
    source.write_bytes(before)
    cli("lint", "--fix", source)
    assert source.read_bytes() == before.replace(b"'http.method'", b"'http.request.method'")


def test_fix_handles_a_lone_carriage_return(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "cr.py"
    before = b"def f(span):\r    x = 1\r    span.set_attribute('http.method', 'GET')\r"
    source.write_bytes(before)
    result = cli("lint", "--fix", source)
    assert f"{source}:3:24: fixed 'http.method' -> 'http.request.method'" in result.out
    assert source.read_bytes() == before.replace(b"'http.method'", b"'http.request.method'")


CYCLE = """\
file_format: definition/2
attributes:
  - {key: app.a, type: string, brief: A., stability: stable,
     deprecated: {reason: renamed, renamed_to: app.b}}
  - {key: app.b, type: string, brief: B., stability: stable,
     deprecated: {reason: renamed, renamed_to: app.a}}
metrics:
  - {name: app.m1, instrument: counter, unit: "1", brief: M., stability: stable,
     deprecated: {reason: renamed, renamed_to: app.m2}}
  - {name: app.m2, instrument: counter, unit: "1", brief: M., stability: stable,
     deprecated: {reason: renamed, renamed_to: app.m1}}
"""


def test_fix_leaves_rename_cycles_alone(tmp_path: Path, cli: RunCli) -> None:
    registry = tmp_path / "conventions.yaml"
    registry.write_text(CYCLE)
    source = tmp_path / "loop.py"
    text = (
        "def f(span, meter):\n"
        "    span.set_attribute('app.a', 'x')\n"
        "    meter.create_counter('app.m1')\n"
    )
    source.write_text(text)
    for _ in range(2):  # it used to flip app.a -> app.b -> app.a on every run
        result = cli("lint", "--fix", "--registry", registry, "--no-semconv", source)
        assert source.read_text() == text
        assert ": fixed " not in result.out
        reason = "its renamed_to chain loops or ends on a deprecated name"
        assert f"{source}:2:24: not fixed 'app.a': {reason}" in result.out
        assert f"{source}:3:26: not fixed 'app.m1': {reason}" in result.out
        assert f"{registry}:3: attribute renamed_to loops: app.a -> app.b -> app.a" in result.err
        assert f"{registry}:8: metric renamed_to loops: app.m1 -> app.m2 -> app.m1" in result.err
    assert cli("lint", "--diff", "--registry", registry, "--no-semconv", source).out == ""


def _fix(cli: RunCli, source: Path, text: str) -> tuple[str, str]:
    source.write_text(text)
    result = cli(
        "lint", "--fix", "--no-semconv", "--registry", SAMPLES / "shop" / "conventions", source
    )
    return source.read_text(), result.out


def test_fix_never_touches_an_ignored_line(tmp_path: Path, cli: RunCli) -> None:
    text = (
        "def f(span):\n"
        "    span.set_attribute('app.client.id', 1)  # obskit: ignore\n"
        "    span.set_attribute('app.client.id', 2)  # obskit: ignore[deprecated]\n"
        "    span.set_attribute('app.client.id', 3)\n"
    )
    fixed, out = _fix(cli, tmp_path / "ignored.py", text)
    assert fixed == text.replace("'app.client.id', 3", "'app.customer.id', 3")
    assert out.count(": fixed ") == 1


def test_fix_never_touches_a_string_that_is_not_only_an_attribute_name(
    tmp_path: Path, cli: RunCli
) -> None:
    text = (
        'CLIENT = "app.client.id"\n'
        "def f(span, headers):\n"
        "    span.set_attribute(CLIENT, 1)\n"
        "    headers[CLIENT] = 'x'  # the same string, used as a header name\n"
    )
    fixed, out = _fix(cli, tmp_path / "shared.py", text)
    assert fixed == text
    assert "not fixed 'app.client.id': defined by a constant outside this file or also used" in out


def test_fix_never_touches_a_line_it_cannot_rewrite_safely(tmp_path: Path, cli: RunCli) -> None:
    # the alias's fix would repeat a keyword already on the line: left as it is, and said so
    text = (
        "import obskit\nlog = obskit.get_logger()\nlog.info('placed', orderId=1, app_order_id=2)\n"
    )
    fixed, out = _fix(cli, tmp_path / "unsafe.py", text)
    assert fixed == text
    assert "not fixed 'orderId': renaming to 'app_order_id' would not parse" in out


def test_fix_rewrites_consumer_attributes_given_by_a_lambda_or_a_function(
    tmp_path: Path, cli: RunCli
) -> None:
    text = (
        "import obskit\n"
        "def ids(message):\n"
        "    return {'app.client.id': message['c']}\n"
        "@obskit.traced.consumer('orders', system='rabbitmq', attributes=ids)\n"
        "def on_order(message): ...\n"
        "@obskit.traced.consumer('returns', system='rabbitmq', attributes=ids)\n"
        "def on_return(message): ...\n"
        "with obskit.publishing('x', system='kafka', attributes=lambda: {'app.client.id': 1}):\n"
        "    pass\n"
    )
    fixed, out = _fix(cli, tmp_path / "consumers.py", text)
    assert fixed == text.replace("app.client.id", "app.customer.id")
    assert out.count(": fixed ") == 2  # the function's name is written once, fixed once
