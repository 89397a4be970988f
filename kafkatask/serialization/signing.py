"""Message signing: an HMAC-SHA256 over a record's value and the headers that give it meaning.

With a signing secret set, every record kafkatask produces carries a `kt-signature` header;
workers refuse (and dead-letter) task records that are unsigned or whose signature does not
match, and clients refuse results and chunks that do not verify. The signed bytes are, for
each of kt-protocol, content-type, kt-kind, kt-task and kt-id in that order, the header's raw
value (empty when absent) preceded by its length as 4 bytes big-endian, then the record value
preceded by its length the same way. The length prefixes make the framing unambiguous: no two
different sets of headers and value sign the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac

from kafkatask.protocol import AnyHeaders, Header, Headers
from kafkatask.settings import Settings

_SIGNED = (Header.PROTOCOL, Header.CONTENT_TYPE, Header.KIND, Header.TASK, Header.ID)


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def sign(self, headers: Headers, value: bytes) -> Headers:
        """The headers with a signature over them and `value` added."""
        unsigned = [(name, data) for name, data in headers if name != Header.SIGNATURE]
        return [*unsigned, (Header.SIGNATURE, self._digest(unsigned, value).encode())]

    def verify(self, headers: AnyHeaders | None, value: bytes | None) -> str | None:
        """None when the record is signed with this secret, otherwise what is wrong."""
        given = _raw(headers, Header.SIGNATURE)
        if not given:
            return "the record is not signed (no kt-signature header)"
        # Bytes, not text: a forged header need not be ASCII, and compare_digest refuses
        # non-ASCII strings with a TypeError.
        expected = self._digest(headers, value or b"").encode()
        if not hmac.compare_digest(given, expected):
            return "the record's signature does not match (tampered, or another secret)"
        return None

    def _digest(self, headers: AnyHeaders | None, value: bytes) -> str:
        digest = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in [*(_raw(headers, name) for name in _SIGNED), value]:
            digest.update(len(part).to_bytes(4, "big"))
            digest.update(part)
        return digest.hexdigest()


def _raw(headers: AnyHeaders | None, name: str) -> bytes:
    """The first header called `name` as bytes, exactly as sent; empty when absent."""
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for key, value in pairs:
        if key == name:
            return value.encode() if isinstance(value, str) else value or b""
    return b""


def signer_of(settings: Settings) -> Signer | None:
    """The signer of an application's settings; None when no secret is set."""
    secret = settings.signing_secret
    return Signer(secret.get_secret_value()) if secret is not None else None
