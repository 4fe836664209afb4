"""The Faust app is configured for plain Kafka and for safety, from the settings alone."""

from __future__ import annotations

import asyncio

import faust
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.config import Role, SaslMechanism, SecurityProtocol, Settings
from streams.app import PromptTableManager, broker_credentials, broker_urls, create_app
from streams.bootstrap import build_runtime
from streams.broker import client_options


def test_app_uses_at_least_once_and_hides_table_pages() -> None:
    settings = Settings(kafka_bootstrap="k1:9092, k2:9092", partitions=12, web_port=7001)
    app = create_app(settings)
    conf = app.conf
    assert str(conf.processing_guarantee) == "ProcessingGuarantee.AT_LEAST_ONCE"
    assert conf.topic_partitions == 12
    assert conf.web_port == 7001
    assert not conf.web_tables_enabled
    assert not conf.web_router_enabled
    assert [str(url) for url in conf.broker] == ["kafka://k1:9092", "kafka://k2:9092"]
    # One round trip carries up to 512 KiB a partition, not Faust's 16 KiB.
    assert conf.producer_max_batch_size == 512 * 1024


async def test_the_table_manager_registers_the_tables_without_fausts_one_second_pause() -> None:
    app = create_app(Settings(), roles={Role.PATHWAY})
    assert isinstance(app.tables, PromptTableManager)
    registered: list[bool] = []

    async def update_channels() -> None:
        registered.append(True)

    async def start_recovery() -> None:
        return None

    app.tables._update_channels = update_channels  # type: ignore[method-assign]
    app.tables.recovery.start = start_recovery  # type: ignore[method-assign]
    await asyncio.wait_for(app.tables.on_start(), timeout=0.5)
    assert registered == [True]


def test_faust_sensors_and_the_roles_metrics_go_on_the_runtime_registry() -> None:
    registry = CollectorRegistry()
    create_app(Settings(), runtime=build_runtime(Settings(), registry=registry))
    sample = registry.get_sample_value
    assert (
        sample("cordwatch_timer_service_waiting") == 1
    )  # the deadline scan, before its first tick
    assert sample("cordwatch_sink_records_total", {"result": "written"}) == 0
    names = {family.name for family in registry.collect()}
    assert {"faust_messages_received", "cordwatch_pathway_events"} <= names
    # A second app in the process gets a Runtime of its own: nothing is cached across apps.
    other = CollectorRegistry()
    create_app(Settings(), roles={Role.SINK}, runtime=build_runtime(Settings(), registry=other))
    assert other.get_sample_value("cordwatch_timer_service_waiting") is None  # no pathway role


def test_plaintext_has_no_credentials() -> None:
    settings = Settings(kafka_bootstrap="k:9092")
    assert broker_credentials(settings) is None
    assert client_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert broker_urls(Settings()) == ["kafka://localhost:9092"]


def test_sasl_ssl_reaches_faust_and_aiokafka_alike() -> None:
    settings = Settings(
        kafka_bootstrap="k:9093",
        kafka_security_protocol=SecurityProtocol.SASL_SSL,
        kafka_sasl_mechanism=SaslMechanism.SCRAM_SHA_256,
        kafka_sasl_username="cw",
        kafka_sasl_password=SecretStr("pw"),
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options["ssl_context"] is not None
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert credentials.password == "pw"


def test_ssl_only_uses_ssl_credentials() -> None:
    settings = Settings(kafka_bootstrap="k:9093", kafka_security_protocol=SecurityProtocol.SSL)
    assert isinstance(broker_credentials(settings), faust.SSLCredentials)


async def test_producer_is_plain_kafka_not_idempotent() -> None:
    # Tansu answers InitProducerId with an error, so an idempotent or transactional producer
    # would never start on the embedded broker; at-least-once needs neither.
    app = create_app(Settings(kafka_bootstrap="k:9092"))
    producer = app.producer
    options = {**producer._settings_default(), **producer._settings_extra()}
    assert options.get("enable_idempotence", False) is False
    assert options["acks"] == -1
    client = producer._new_producer()
    assert client._txn_manager is None  # aiokafka creates one only for idempotent producers


def test_faust_cli_worker_gets_the_phi_scrubber() -> None:
    import structlog

    from services.logging import PhiScrubber

    structlog.reset_defaults()
    app = create_app(Settings())
    app.on_worker_init.send()  # what `faust -A streams.app worker` fires before starting
    try:
        processors = structlog.get_config()["processors"]
        assert any(isinstance(p, PhiScrubber) for p in processors)
    finally:
        structlog.reset_defaults()


async def test_resuming_flow_keeps_what_the_agents_queues_hold_and_a_rebalance_still_clears() -> (
    None
):
    # Faust ends a recovery by seeking the stream partitions, then resuming flow control: a
    # message queued in between was marked read, and clearing it lost it for good.
    app = create_app(Settings())
    queue = app.FlowControlQueue(maxsize=10, clear_on_resume=True)
    app.flow_control.suspend()
    queue.put_nowait("delivered after the seek")
    app.flow_control.resume()
    assert app.flow_control.is_active()
    await asyncio.wait_for(app.flow_control.acquire(), timeout=1.0)  # flow goes on
    assert queue.qsize() == 1
    app.flow_control.clear()  # what a rebalance does before partitions may move elsewhere
    assert queue.qsize() == 0
