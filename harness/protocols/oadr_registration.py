"""OpenADR 2.0b registration messages (EiRegisterParty): ``oadrCreatePartyRegistration`` (a VEN
registers, naming its profile, transport and pull model) and ``oadrCreatedPartyRegistration``
(the VTN's answer: the IDs, the profiles it serves and the poll frequency). Re-exported by
`oadr_codec`, which owns the envelope and the dispatch; the rules there apply here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from lxml import etree

from .oadr_common import PROFILES, TRANSPORTS, Fields, fmt_bool
from .oadr_parts import EiResponse, Reader, add, add_duration, add_message, message


@message
@dataclass(frozen=True)
class CreatePartyRegistration:
    """``oadrCreatePartyRegistration``: a VEN asks a VTN to register it."""

    ELEMENT: ClassVar[str] = "oadrCreatePartyRegistration"
    request_id: str
    ven_name: str | None = None
    ven_id: str | None = None
    registration_id: str | None = None
    profile_name: str = "2.0b"
    transport_name: str = "simpleHttp"
    transport_address: str | None = None
    report_only: bool = False
    xml_signature: bool = False
    http_pull_model: bool | None = True

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        for name in ("ven_name", "ven_id", "registration_id", "transport_address"):
            f.text(name, optional=True)
        f.token("profile_name", PROFILES)
        f.token("transport_name", TRANSPORTS)
        f.boolean("report_only")
        f.boolean("xml_signature")
        f.boolean("http_pull_model", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        if self.registration_id is not None:
            add(node, "ei:registrationID", self.registration_id)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)
        add(node, "oadr:oadrProfileName", self.profile_name)
        add(node, "oadr:oadrTransportName", self.transport_name)
        if self.transport_address is not None:
            add(node, "oadr:oadrTransportAddress", self.transport_address)
        add(node, "oadr:oadrReportOnly", fmt_bool(self.report_only))
        add(node, "oadr:oadrXmlSignature", fmt_bool(self.xml_signature))
        if self.ven_name is not None:
            add(node, "oadr:oadrVenName", self.ven_name)
        if self.http_pull_model is not None:
            add(node, "oadr:oadrHttpPullModel", fmt_bool(self.http_pull_model))

    @classmethod
    def _read(cls, element: etree._Element) -> CreatePartyRegistration:
        r = Reader(element)
        return r.make(
            cls, request_id=r.text("pyld:requestID"),
            ven_name=r.text("oadr:oadrVenName", optional=True),
            ven_id=r.text("ei:venID", optional=True),
            registration_id=r.text("ei:registrationID", optional=True),
            profile_name=r.token("oadr:oadrProfileName"),
            transport_name=r.token("oadr:oadrTransportName"),
            transport_address=r.text("oadr:oadrTransportAddress", optional=True),
            report_only=r.boolean("oadr:oadrReportOnly"),
            xml_signature=r.boolean("oadr:oadrXmlSignature"),
            http_pull_model=r.boolean("oadr:oadrHttpPullModel", optional=True))


@dataclass(frozen=True)
class Profile:
    """``oadr:oadrProfile``: a profile the VTN supports and its transports."""

    name: str = "2.0b"
    transports: tuple[str, ...] = ("simpleHttp",)

    def __post_init__(self) -> None:
        f = Fields(self)
        f.token("name", PROFILES)
        for i, transport in enumerate(f.items("transports", str, min_items=1)):
            if transport not in TRANSPORTS:
                f.fail(f"transports[{i}]", f"must be one of {', '.join(TRANSPORTS)}; got {transport!r}")


@message
@dataclass(frozen=True)
class CreatedPartyRegistration:
    """``oadrCreatedPartyRegistration``: the VTN's answer, with IDs, profiles and poll period."""

    ELEMENT: ClassVar[str] = "oadrCreatedPartyRegistration"
    response: EiResponse
    vtn_id: str
    registration_id: str | None = None
    ven_id: str | None = None
    profiles: tuple[Profile, ...] = (Profile(),)
    poll_frequency: timedelta | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("vtn_id")
        f.text("registration_id", optional=True)
        f.text("ven_id", optional=True)
        profiles = f.items("profiles", Profile, min_items=1)
        f.unique("profiles", (p.name for p in profiles), "profile")
        f.duration("poll_frequency", optional=True, positive=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        if self.registration_id is not None:
            add(node, "ei:registrationID", self.registration_id)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)
        add(node, "ei:vtnID", self.vtn_id)
        profiles = add(node, "oadr:oadrProfiles")
        for profile in self.profiles:
            item = add(profiles, "oadr:oadrProfile")
            add(item, "oadr:oadrProfileName", profile.name)
            transports = add(item, "oadr:oadrTransports")
            for transport in profile.transports:
                add(add(transports, "oadr:oadrTransport"), "oadr:oadrTransportName", transport)
        if self.poll_frequency is not None:
            add_duration(node, "oadr:oadrRequestedOadrPollFreq", self.poll_frequency)

    @classmethod
    def _read(cls, element: etree._Element) -> CreatedPartyRegistration:
        r = Reader(element)
        profiles = []
        for node in Reader(r.child("oadr:oadrProfiles")).children("oadr:oadrProfile"):
            p = Reader(node)
            transports = tuple(Reader(t).token("oadr:oadrTransportName") for t in
                               Reader(p.child("oadr:oadrTransports")).children("oadr:oadrTransport"))
            profiles.append(p.make(Profile, name=p.token("oadr:oadrProfileName"),
                                   transports=transports))
        return r.make(
            cls, response=EiResponse._read(r.child("ei:eiResponse")), vtn_id=r.text("ei:vtnID"),
            registration_id=r.text("ei:registrationID", optional=True),
            ven_id=r.text("ei:venID", optional=True), profiles=tuple(profiles),
            poll_frequency=r.duration("oadr:oadrRequestedOadrPollFreq/xcal:duration",
                                      optional=True))
