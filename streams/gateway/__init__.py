"""The hospital-facing gateway: the MLLP listener and the agents that map hl7/fhir.inbound."""
