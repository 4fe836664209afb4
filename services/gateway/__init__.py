"""HL7 v2 and FHIR R4 in, the canonical events of DESIGN.md section 2 out (pure, no I/O)."""
