"""A real single-node Apache Kafka broker (KRaft) on loopback, for development and tests.

The broker's own jars come from Maven Central through Maven and are cached, so only the first
start needs the network. See `kafkatask broker --help`.
"""

from kafkatask.local_broker.artifacts import DEFAULT_KAFKA_VERSION, KafkaArtifacts
from kafkatask.local_broker.errors import BrokerStartError
from kafkatask.local_broker.launcher import LocalBroker, broker_answers

__all__ = [
    "DEFAULT_KAFKA_VERSION",
    "BrokerStartError",
    "KafkaArtifacts",
    "LocalBroker",
    "broker_answers",
]
