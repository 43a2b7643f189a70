"""Zero-code set-up: ``opentelemetry-instrument python app.py`` with obskit installed.

OpenTelemetry's auto-instrumentation runs the configurator registered under the
``opentelemetry_configurator`` entry point before the program starts. obskit registers one
(named ``obskit``) that calls :func:`obskit.configure` with no arguments, so everything comes from
the environment: ``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_*``, ``OBSKIT_CONVENTIONS``,
``OBSKIT_MODE``, ``OBSKIT_LOG_FORMAT``. Where another configurator is installed too (the
``opentelemetry-distro`` package's), ``OTEL_PYTHON_CONFIGURATOR=obskit`` picks this one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ObskitConfigurator"]


class ObskitConfigurator:
    """What ``opentelemetry-instrument`` loads and calls ``configure`` on."""

    def configure(self, **_: Any) -> None:
        import obskit

        obskit.configure()
