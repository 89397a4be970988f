"""How values and envelopes become bytes: codecs, the wire form of values, signing."""

from kafkatask.serialization.codecs import Codec, codec_for, codec_named
from kafkatask.serialization.values import ValueCodec

__all__ = ["Codec", "ValueCodec", "codec_for", "codec_named"]
