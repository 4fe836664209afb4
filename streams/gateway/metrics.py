"""The MLLP listener's Prometheus series, created once per registry and passed in."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.gateway.mllp import AckCode

CONNECTION_RESULTS = ("accepted", "over_limit", "tls_failed")
CLOSE_REASONS = ("peer", "idle_timeout", "oversized", "error", "shutdown")


@dataclass(frozen=True)
class MllpMetrics:
    """Connections, messages by ACK code, and the time from a frame's end to its ACK."""

    connections: Counter
    closed: Counter
    open_connections: Gauge
    messages: Counter
    ack_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> MllpMetrics:
        """Register the series on ``registry``, every label at zero."""
        metrics = cls(
            connections=Counter(
                "cordwatch_mllp_connections_total",
                "MLLP connections by result (accepted, over the connection cap, TLS failed)",
                ["result"],
                registry=registry,
            ),
            closed=Counter(
                "cordwatch_mllp_connections_closed_total",
                "MLLP connections closed, by why",
                ["reason"],
                registry=registry,
            ),
            open_connections=Gauge(
                "cordwatch_mllp_open_connections", "MLLP connections open now", registry=registry
            ),
            messages=Counter(
                "cordwatch_mllp_messages_total",
                "HL7 messages answered, by ACK code (AA only once on hl7.inbound)",
                ["ack"],
                registry=registry,
            ),
            ack_seconds=Histogram(
                "cordwatch_mllp_ack_seconds",
                "From a message's last byte to its ACK (the Kafka acknowledgement is inside)",
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                registry=registry,
            ),
        )
        for result in CONNECTION_RESULTS:
            metrics.connections.labels(result)
        for reason in CLOSE_REASONS:
            metrics.closed.labels(reason)
        for code in AckCode:
            metrics.messages.labels(code.value)
        return metrics
