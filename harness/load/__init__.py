"""Load generation against an OpenADR 2.0b VTN over the Simple HTTP pull transport
(`ven_clients`: many VENs in client processes; `loadrun`: a run against `harness serve`)."""
