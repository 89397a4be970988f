"""The broker's configuration files: one combined broker+controller KRaft node on loopback."""

from __future__ import annotations

from pathlib import Path

_LOG4J2 = """\
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
# The request and state-change loggers are chatty at INFO and say nothing a developer needs.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def server_properties(host: str, port: int, controller_port: int, data_dir: Path) -> str:
    """Render server.properties for a single node that is both broker and controller."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "4",
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        # 50 partitions (the default) makes the first consumer group on a fresh broker slow.
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # kafkatask creates its topics with the partition count it wants; a typo in a topic
        # name must fail loudly instead of creating a stray topic.
        "auto.create.topics.enable": "false",
        # A single-node development broker has nobody to wait for before the first rebalance.
        "group.initial.rebalance.delay.ms": "0",
        # Lets crash tests use short consumer session timeouts (the broker default is 6 s).
        "group.min.session.timeout.ms": "1000",
        # The same for the consumer group protocol (KIP-848), whose session timeout and
        # heartbeat interval are the broker's to allow: 45 s and 5 s at least by default.
        "group.consumer.min.session.timeout.ms": "1000",
        "group.consumer.min.heartbeat.interval.ms": "100",
        "group.consumer.session.timeout.ms": "10000",
        "group.consumer.heartbeat.interval.ms": "2000",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def log4j2_properties() -> str:
    return _LOG4J2
