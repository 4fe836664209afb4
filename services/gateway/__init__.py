"""HL7 v2 and FHIR R4 in, the canonical events of DESIGN.md section 2 out (pure, no I/O)."""

# The gateway's inbound topics (DESIGN.md section 1); streams/topics.py declares the same names.
HL7_INBOUND = "hl7.inbound"
FHIR_INBOUND = "fhir.inbound"
