"""Messaging: consumer and producer instrumentation, and the adapters that read broker messages."""

from obskit.messaging._adapter import MessageInfo, adapter_for, register_adapter
from obskit.messaging._producer import publishing

__all__ = ["MessageInfo", "adapter_for", "publishing", "register_adapter"]
