"""Signer: what verifies and what is refused, without a broker."""

from __future__ import annotations

from kafkatask.serialization.signing import Signer

HEADERS = [("kt-protocol", b"1"), ("kt-kind", b"result"), ("kt-id", b"abc")]


def test_a_signed_record_verifies_and_a_tampered_one_does_not() -> None:
    signer = Signer("s3cret")
    signed = signer.sign(HEADERS, b"value")
    assert signer.verify(signed, b"value") is None
    assert "does not match" in (signer.verify(signed, b"other") or "")
    assert "does not match" in (Signer("another").verify(signed, b"value") or "")


def test_missing_and_malformed_signatures_are_refused_not_raised() -> None:
    signer = Signer("s3cret")
    assert "not signed" in (signer.verify(HEADERS, b"value") or "")
    assert "not signed" in (signer.verify(None, b"value") or "")
    for junk in (b"\xff\xfe", "ünïcode", b""):
        problem = signer.verify([*HEADERS, ("kt-signature", junk)], b"value")
        assert problem is not None
