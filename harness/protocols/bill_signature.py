"""Enveloped XMLDSig signatures on bill documents (W3C XML Signature 1.1; signxml over
cryptography), with ECDSA P-256 / SHA-256 keys.

Why these choices: Debian 12's ``xmlsec1`` (1.2.37), the independent verifier the tests run,
verifies ECDSA P-256 but not Ed25519 (XMLDSig Ed25519 arrives with xmlsec 1.3); exclusive
C14N 1.0 is canonicalisation every verifier has. The signature covers the whole document
(reference URI ""), sits last in the root (bill.xsd allows it there), and carries the public
key as a KeyValue so xmlsec1 can be pointed at the expected key file.

Verification never trusts the KeyValue in the document: the signature must verify AND the key
it names must be the trusted public key given by the caller; only the signed element returned by
signxml is used afterwards ("see what is signed").
"""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature

from .xml_safety import XmlRejected, parse_xml

ALGORITHM = "ecdsa-p256-sha256"


class SignatureInvalid(ValueError):
    """The document's signature does not verify under the trusted key; ``reason`` says why."""

    def __init__(self, reason: str, code: str = "signature-invalid"):
        self.reason, self.code = reason, code
        super().__init__(f"{reason} [{code}]")


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: str | bytes) -> ec.EllipticCurvePublicKey:
    """Raises SignatureInvalid (``bad-public-key``) unless it is a PEM P-256 public key."""
    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise SignatureInvalid(f"not a PEM public key: {exc}", "bad-public-key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SignatureInvalid("the signer key must be an ECDSA P-256 public key", "bad-public-key")
    return key


def _signer() -> XMLSigner:
    return XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                     c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)


def sign(root: etree._Element, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The signed document's bytes (the input element is not changed)."""
    signed = _signer().sign(root, key=key, always_add_key_value=True)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify(data: bytes, public_key: ec.EllipticCurvePublicKey) -> etree._Element:
    """Check a signed document against the trusted key.

    Returns:
        the element the signature covers (use it, not the input bytes).
    Raises:
        SignatureInvalid: unsafe XML, no signature, a signature that does not verify, or one
            made with another key.
    """
    try:
        parse_xml(data)  # the hardened parser's limits first; signxml parses again below
    except XmlRejected as exc:
        raise SignatureInvalid(f"not acceptable XML: {exc}", "signature-bad-xml") from exc
    config = SignatureConfiguration(require_x509=False, location="./", expect_references=1,
                                    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
                                    digest_algorithms=frozenset({DigestAlgorithm.SHA256}))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        result = XMLVerifier().verify(data, expect_config=config, parser=parser)
    except (InvalidSignature, InvalidInput) as exc:
        raise SignatureInvalid(f"signature does not verify: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise SignatureInvalid(f"not well-formed XML: {exc}", "signature-bad-xml") from exc
    used = serialization.load_pem_public_key(result.signature_key) if b"BEGIN" in result.signature_key \
        else None
    trusted = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if used is None or used.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo) != trusted:
        raise SignatureInvalid("the document is signed with a key other than the trusted signer key",
                               "signature-wrong-key")
    return result.signed_xml
