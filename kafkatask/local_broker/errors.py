"""The one error the local broker launcher raises."""


class BrokerStartError(RuntimeError):
    """The local broker could not be started; the message says what is wrong and what to do."""
