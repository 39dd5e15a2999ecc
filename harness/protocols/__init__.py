"""The harness's protocol library: message codecs for the interfaces the harness speaks.

So far this is OpenADR 2.0b (``oadr_*`` modules) on top of ``xml_safety``, the one way any XML
is parsed in this project. The reference broker's adapters import this package too, so the
harness and the broker share one codec; what keeps that honest is that every message is checked
against the official OpenADR 2.0b XSDs (``oadr_schema``), which neither side wrote.

Modules:
    xml_safety: hardened parsing (size, DOCTYPE, depth limits) and ``XmlRejected``.
    oadr_schema: the official XSDs, compiled once; fast and readable validation, counters.
    oadr_common: namespaces, value rules (UTC datetimes, ISO-8601 durations), XSD enumerations.
    oadr_parts: shared message parts (eiResponse, eiTarget, periods, units), read/build helpers.
    oadr_events: oadrDistributeEvent and oadrCreatedEvent.
    oadr_reports: oadrRegisterReport, oadrRegisteredReport and oadrUpdateReport.
    oadr_requests: the pull exchange's queries and acknowledgements (oadrQueryRegistration,
        oadrRequestEvent, oadrCancel/CanceledPartyRegistration, oadrCreate/Created/UpdatedReport).
    oadr_codec: registration, opt and poll messages; ``to_xml`` / ``from_xml`` for them all.
"""
