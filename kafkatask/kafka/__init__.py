"""A thin layer over confluent-kafka: topic names, client configs, admin and producing.

Nothing in this package knows what a task is.
"""

from kafkatask.kafka.admin import TopicAdmin, TopicSpec
from kafkatask.kafka.producer import DeliveryCallback, MessageProducer
from kafkatask.kafka.topics import TopicNames

__all__ = ["DeliveryCallback", "MessageProducer", "TopicAdmin", "TopicNames", "TopicSpec"]
