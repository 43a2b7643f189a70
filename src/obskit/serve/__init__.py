"""``obskit serve``: a local OTLP receiver, an embedded store you can search, and a web UI.

Tooling like ``obskit.view`` (which it builds on); gRPC and the OTLP protobuf modules load only
when a server starts, and nothing in the runtime imports this package.
"""

from obskit.serve._analysis import Edge, Moment, service_graph, timeline
from obskit.serve._server import Server, default_db
from obskit.serve._store import Retention, Search, Store, TraceSummary

__all__ = [
    "Edge",
    "Moment",
    "Retention",
    "Search",
    "Server",
    "Store",
    "TraceSummary",
    "default_db",
    "service_graph",
    "timeline",
]
