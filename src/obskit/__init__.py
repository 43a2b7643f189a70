"""obskit: make a distributed Python service debuggable by design.

Traces that follow a request across HTTP and message brokers, logs correlated with them and
named the same way in every service, one classification of errors, and tests that assert on
what a service emits.
"""

from obskit._config import Telemetry, configure
from obskit._traced import traced
from obskit.errors import BusinessRuleViolation, ErrorKind, ErrorPolicy
from obskit.logging import get_logger
from obskit.messaging import publishing
from obskit.propagation import extract, inject

__version__ = "0.1.0"

__all__ = [
    "BusinessRuleViolation",
    "ErrorKind",
    "ErrorPolicy",
    "Telemetry",
    "__version__",
    "configure",
    "extract",
    "get_logger",
    "inject",
    "publishing",
    "traced",
]
