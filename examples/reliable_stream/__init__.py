"""Chat replies streamed through Kafka, that any number of clients follow and resume from any
point (examples/reliable_stream/README.md): `python -m examples.reliable_stream`."""
