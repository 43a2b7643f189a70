"""A corpus of secrets, twelve kinds, each with a name that marks it and a text that carries it.

``name`` is what a field, attribute, header or query parameter holding the secret is called;
``text`` is a sentence with the secret inside it, as it shows up in messages and exceptions;
``secret`` is the part that must never leave the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Secret:
    kind: str
    name: str
    secret: str
    text: str

    @property
    def value(self) -> str:
        """What a field named ``name`` holds."""
        return self.secret


def _pem(body: str) -> str:
    return f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{body}\n-----END RSA PRIVATE KEY-----"


_PASSWORDS = [
    "hunter2-Correct-Horse",
    "S3cr3t!pass#word",
    "p@55w0rd-Zebra",
    "Battery9Staple4",
    "xK9mQ2vL7wZ3",
]
_BEARERS = [
    "ya29.a0AfH6SMBx8tq",
    "mF_9.B5f-4.1JqM77",
    "Zm9vYmFyYmF6cXV4MTIz",
    "tGzv3JOkF0XG5Qx2TlKWIA",
    "2YotnFZFEjr1zCsicMWpAA",
]
_OPAQUE = [
    "a1b2c3d4e5f6a7b8c9d0",
    "opq-7f3e9a2b1c4d",
    "tok9X2mK8pL4qR7s",
    "0d9f8e7c6b5a4f3e2d1c",
    "sess7Q2w9E4r6T1y",
]
_PROVIDER = [
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "xoxb-2444511923-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "glpat-x1Y2z3A4b5C6d7E8f9G0",
    "AKIAIOSFODNN7EXAMPLE",
]
_JWTS = [
    f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkw{n}In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5{n}"
    for n in ("a", "b", "c", "d", "e")
]
_CARDS = [
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "340000000000009",
    "6011000000000004",
    "4012888888881881",
]
_DSN_PASSWORDS = ["pg-Pa55word-1", "rootPw-77x", "redisPw-9Q", "mqPw-k2L8", "mongoPw-X4z"]
_DSNS = [
    "postgres://user:{}@db.internal:5432/orders",
    "mysql://root:{}@mysql.internal/shop",
    "redis://:{}@cache.internal:6379/0",
    "amqp://guest:{}@rabbit.internal/",
    "mongodb+srv://admin:{}@cluster0.example.net/db",
]
_URL_KEYS = ["token", "access_token", "X-Amz-Signature", "sig", "jwt", "pass", "bearer", "api_key"]
_URL_VALUES = [
    "urlTok3nA1",
    "urlAcc3ssB2",
    "a3f9e0c1d2b4e5f6",
    "sigC4d5E6f7",
    "urlJwtX9",
    "urlPassY8",
    "urlBearerZ7",
    "urlApiKeyW6",
]
_COOKIES = [
    "sessionid=ck7Hq2Lm9",
    "sid=ck3Np8Rt1",
    "JSESSIONID=ck5Vb2Xz0",
    "auth=ck8Mn4Qw6",
    "remember_me=ck1Jk9Lp3",
]
_KEYS = ["AbC1dEf2GhI3", "JkL4mNo5PqR6", "StU7vWx8YzA9", "BcD0eFg1HiJ2", "KlM3nOp4QrS5"]
_EMAILS = [
    "jane.doe@example.com",
    "j.smith+shop@example.org",
    "ops-alerts@example.net",
    "li.wei@example.cn",
    "m.garcia@example.es",
]
_NATIONAL_IDS = ["078-05-1120", "219-09-9999", "AB123456C", "1850312A12345", "X1234567L"]

CORPUS: tuple[Secret, ...] = (
    *(
        Secret("password", name, pw, f"login failed: {name}={pw}")
        for name, pw in zip(
            ("password", "db_password", "passwd", "user.pass", "pwd"), _PASSWORDS, strict=True
        )
    ),
    *(
        Secret(
            "bearer token", "authorization", f"Bearer {tok}", f"sent Authorization: Bearer {tok}"
        )
        for tok in _BEARERS
    ),
    *(
        Secret("opaque token", name, tok, f"refreshing {name}={tok}")
        for name, tok in zip(
            ("session_token", "access_token", "refresh_token", "x-auth-token", "csrf"),
            _OPAQUE,
            strict=True,
        )
    ),
    *(Secret("provider key", "api_key", key, f"charging with {key} now") for key in _PROVIDER),
    *(Secret("jwt", "id_token", jwt, f"claims from {jwt} rejected") for jwt in _JWTS),
    *(
        Secret("card number", "credit_card", card, f"charged card {card} for 12.50")
        for card in _CARDS
    ),
    *(
        Secret("connection string", "database_password", pw, f"cannot connect to {dsn.format(pw)}")
        for dsn, pw in zip(_DSNS, _DSN_PASSWORDS, strict=True)
    ),
    *(
        Secret(
            "url with token",
            key,
            value,
            f"GET https://api.example.com/v1/items?{key}={value}&page=2",
        )
        for key, value in zip(_URL_KEYS, _URL_VALUES, strict=True)
    ),
    *(Secret("cookie", "cookie", cookie, f"request had Cookie: {cookie}") for cookie in _COOKIES),
    *(Secret("private key", "private_key", _pem(key), f"loaded {_pem(key)}") for key in _KEYS),
    *(
        Secret("email", "customer_email", email, f"welcome mail: customer_email={email}")
        for email in _EMAILS
    ),
    *(
        Secret("national id", "national_id", nid, f"verified national_id={nid}")
        for nid in _NATIONAL_IDS
    ),
)

#: the registry marks these sensitive (e-mail and national ids are personal data only by name)
REGISTRY_YAML = """\
file_format: definition/2
attributes:
  - key: app.customer.email
    type: string
    brief: The customer's e-mail address.
    stability: development
    annotations:
      obskit:
        log_key: customer_email
        sensitive: true
  - key: app.customer.national_id
    type: string
    brief: A government-issued identifier.
    stability: development
    annotations:
      obskit:
        log_key: national_id
        sensitive: true
"""


def needles(secret: Secret) -> list[str]:
    """The spellings of the secret a leak would show: as given, and a card's bare digits; a
    private key is found by its body."""
    if secret.kind == "private key":
        return [secret.secret.splitlines()[1]]
    found = [secret.secret]
    if secret.kind == "card number":
        found.append(secret.secret.replace(" ", "").replace("-", ""))
    if secret.kind == "bearer token":
        found = [secret.secret.removeprefix("Bearer ")]
    return found + [quote(needle, safe="") for needle in found]


def leaks(corpus: tuple[Secret, ...], outputs: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(kind, secret, path)`` for every secret seen in any path's output."""
    return [
        (secret.kind, secret.secret[:24], path)
        for secret in corpus
        for path, text in outputs.items()
        for needle in needles(secret)
        if needle in text
    ]
