"""The redaction rule piece by piece: which names are secret, which shapes of text, how values of
each type are walked, and what URLs, queries and headers keep (the corpus test in
tests/test_sensitive.py shows the paths; these pin down the rule each path asks)."""

from __future__ import annotations

import enum
import logging
import re
from typing import Any

import pytest

from obskit._sensitive import MARKER, Scrubber, compile_pattern, luhn_valid
from obskit.http._http_redaction import header_value, redact_query, redact_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pwd=abcd", "pwd=[REDACTED]"),
        ("pwd=abc", "pwd=[REDACTED]"),  # the shortest secrets: 5 to 7 characters
        ("pwd=x", "pwd=[REDACTED]"),
        ("otp=12", "otp=[REDACTED]"),
        ("pass:ab", "pass:[REDACTED]"),
        ("sig=a1", "sig=[REDACTED]"),
        ("id=123", "id=123"),
        ("a:b", "a:b"),
        ("user=bob id=7", "user=bob id=7"),
        ("note=plain words", "note=plain words"),
        ("key=abcdef", "key=abcdef"),  # a credential only in URLs
        ('token: "a b"', "token: [REDACTED]"),
        ("secret='q w' next", "secret=[REDACTED] next"),
        ("db.pass=hunter22", "db.pass=[REDACTED]"),
        ("passenger=alice", "passenger=alice"),
        ("author=alice", "author=alice"),
        ("see https://bob:pw@host/x", "see https://[REDACTED]@host/x"),
        ("mail bob@example.com", "mail bob@example.com"),
        ("card 4111 1111 1111 1111 ok", "card [REDACTED] ok"),
        ("card 4111-1111-1111-1111", "card [REDACTED]"),
        ("card 4111-1111-1111-1112", "card 4111-1111-1111-1112"),
        ("order 12345678901234567890123", "order 12345678901234567890123"),  # too long a run
        ("Basic dXNlcjpwYXNz", "Basic [REDACTED]"),
        ("BEARER abcdefgh", "BEARER [REDACTED]"),
        ("x AKIAABCDEFGHIJKLMNOP y", "x [REDACTED] y"),
        ("ghp_" + "a" * 20, MARKER),
        ("ghp_" + "a" * 19, "ghp_" + "a" * 19),
        ("github_pat_" + "a" * 20, MARKER),
        ("sk_live_abcdefgh", MARKER),
        ("pk_test_abcdefgh", MARKER),
        ("xoxb-12345678", MARKER),
        ("glpat-" + "x" * 16, MARKER),
        ("AIza" + "x" * 30, MARKER),
        ("npm_" + "a" * 30, MARKER),
        ("eyJhbGciOi.eyJzdWIiOi.sig", MARKER),
        ("-----BEGIN RSA PRIVATE KEY-----abc-----END RSA PRIVATE KEY----- tail", "[REDACTED] tail"),
        ("-----BEGIN PRIVATE KEY-----cut off", MARKER),
    ],
)
def test_text_is_scrubbed_of_secret_shapes(text: str, expected: str) -> None:
    scrubber = Scrubber()
    assert scrubber.text(text) == expected
    assert scrubber.text(text) == expected  # the cached answer is the same


def test_the_marker_is_configurable() -> None:
    scrubber = Scrubber(marker="***")
    assert scrubber.text("password=abcdefgh and ghp_" + "a" * 20) == "password=*** and ***"
    assert scrubber.text("Bearer abcdefgh") == "Bearer ***"
    assert scrubber.value({"token": "x"}) == {"token": "***"}


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True),
     ("79927398710", False), ("0", True), ("18", True), ("19", False)],
)  # fmt: skip
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_the_registry_adds_names_and_a_failing_registry_redacts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked: list[str] = []

    def registry(name: str) -> bool:
        asked.append(name)
        if name == "broken":
            raise RuntimeError("registry down")
        return name == "customer.national_id"

    scrubber = Scrubber(registry)
    assert scrubber.name("customer.national_id") is True
    assert scrubber.name("customer.name") is False
    assert scrubber.name("password") is True  # the word list decides, the registry is not asked
    with caplog.at_level(logging.WARNING, logger="obskit"):
        assert scrubber.name("broken") is True
    assert [r.getMessage() for r in caplog.records] == [
        "obskit: the registry failed on 'broken'; redacting"
    ]
    scrubber.name("customer.name")
    assert asked == ["customer.national_id", "customer.name", "broken"]  # answers are kept


def test_long_names_are_judged_each_time_not_kept() -> None:
    asked: list[str] = []
    scrubber = Scrubber(lambda name: asked.append(name) or False)
    long_name = "x" * 300
    scrubber.name(long_name)
    scrubber.name(long_name)
    assert asked == [long_name, long_name]


def test_user_patterns_strings_and_compiled() -> None:
    scrubber = Scrubber(patterns=["ACME-\\d+", re.compile("case (\\w+)", re.IGNORECASE)])
    assert scrubber.text("ref ACME-42 CASE open") == "ref [REDACTED] [REDACTED]"
    assert scrubber.text("short") == "short"
    with pytest.raises(
        TypeError, match="redaction patterns are strings or compiled regexes, not 7"
    ):
        compile_pattern(7)  # type: ignore[arg-type]


class Shade(str, enum.Enum):
    PLAIN = "plain"
    LEAKY = "token=abcdefgh"


class Shown:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class Unshowable:
    def __repr__(self) -> str:
        raise RuntimeError("no")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (3, 3),
        (2.5, 2.5),
        ("password=abcdefgh", "password=[REDACTED]"),
        ({"password": 1, b"api_key": 2, 3: "token=abcdefgh"},
         {"password": MARKER, b"api_key": MARKER, 3: "token=[REDACTED]"}),
        ([1, "x", ("token=abcdefgh",)], [1, "x", ("token=[REDACTED]",)]),
        (("a", "b"), ("a", "b")),
        (b"token=abcdefgh", "token=[REDACTED]"),
        (bytearray(b"token=abcdefgh"), "token=[REDACTED]"),
        ({"token=abcdefgh"}, ["token=[REDACTED]"]),
        (frozenset({"token=abcdefgh"}), ["token=[REDACTED]"]),
        (Shown("Conn(password=abcdefgh)"), "Conn(password=[REDACTED])"),
        (Unshowable(), MARKER),
        (Shade.LEAKY, "token=[REDACTED]"),
    ],
)  # fmt: skip
def test_values_are_walked_by_type(value: Any, expected: Any) -> None:
    assert Scrubber().value(value) == expected


@pytest.mark.parametrize(
    "value",
    [Shade.PLAIN, b"clean bytes", {"clean", "set"}, frozenset({"clean"}), Shown("clean"), True],
)
def test_clean_values_come_back_as_themselves(value: Any) -> None:
    assert Scrubber().value(value) is value


def test_the_depth_limit_is_exactly_eight_levels() -> None:
    def nest(levels: int) -> Any:
        value: Any = "visible"
        for _ in range(levels):
            value = [value]
        return value

    assert Scrubber().value(nest(7)) == nest(7)  # seven containers: the text is reached
    deep = Scrubber().value(nest(9))
    for _ in range(8):
        deep = deep[0]
    assert deep == MARKER  # below the eighth level nothing is read, nothing leaks
    assert Scrubber().value(42, depth=8) == 42  # plain numbers need no inspection


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://u:p@h:1/a?x=1&token=t#frag",
            "https://[REDACTED]:[REDACTED]@h:1/a?x=1&token=[REDACTED]",
        ),
        ("https://h/hooks/sk_live_abcdefghij", "https://h/hooks/[REDACTED]"),
        ("https://u:p#?@h/a", "https://[REDACTED]:[REDACTED]@h/a"),
        ("https://h/a@b?x=1", "https://h/a@b?x=1"),
        ("/p?code=1&a=&b", "/p?code=[REDACTED]&a=&b"),
        ("/p?", "/p"),
        ("user@host/path", "user@host/path"),  # no scheme: no authority to strip
        ("https://h", "https://h"),
    ],
)
def test_urls_keep_host_and_path_and_lose_credentials(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_long_urls_are_redacted_the_same_way() -> None:
    pad = "x" * 600
    assert redact_url(f"https://u:p@h/a?pad={pad}&token=t") == (
        f"https://[REDACTED]:[REDACTED]@h/a?pad={pad}&token=[REDACTED]"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("a=1&api_key=z&Pass=x&key=k", "a=1&api_key=[REDACTED]&Pass=[REDACTED]&key=[REDACTED]"),
        ("access%5Ftoken=z", "access%5Ftoken=[REDACTED]"),
        ("q=Bearer+abcdefghi", "q=[REDACTED]"),  # judged decoded: a bearer token
        ("note=ghp_" + "a" * 20, "note=[REDACTED]"),
        ("flag&token=", "flag&token="),
    ],
)
def test_query_values_of_sensitive_keys_are_redacted(query: str, expected: str) -> None:
    assert redact_query(query) == expected
    assert redact_query(query + "&p=" + "x" * 600) == (expected + "&" if query else "&") + (
        "p=" + "x" * 600
    )


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("x-api-key", "v", "[REDACTED]"),
        ("private-token", "v", "[REDACTED]"),
        ("accept", "Bearer abcdefgh", "Bearer [REDACTED]"),
        ("accept", "text/html", "text/html"),
    ],
)
def test_captured_headers(name: str, value: str, shown: str) -> None:
    assert header_value(name, value) == shown


@pytest.mark.parametrize(
    "query",
    [
        "n=password%3Dabcdefgh&page=2",
        "q=token%3Dghp_16C7e42F292c6912E7710c838347Ae178B4a&page=2",
        "q=Authorization%3A+Bearer+eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    ],
)
def test_an_encoded_secret_in_a_query_value_is_redacted(query: str) -> None:
    from urllib.parse import unquote_plus

    from obskit.http._http_redaction import redact_query

    redacted = redact_query(query)
    assert redacted.startswith(query.split("=")[0] + "=[REDACTED]")
    assert redacted.endswith("&page=2") or "&" not in query
    secret = unquote_plus(query.split("=", 1)[1].split("&")[0])
    assert secret not in unquote_plus(redacted)


def test_an_ordinary_encoded_query_value_is_kept() -> None:
    from obskit.http._http_redaction import redact_query

    assert redact_query("q=hello+world&x=%41") == "q=hello+world&x=%41"
