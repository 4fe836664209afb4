"""Time-to-treatment audit: SQL aggregates over the store and the reports rendered from them."""

from services.audit.service import AuditError, run_audit
from services.audit.shapes import DEFINITIONS, AuditReport, BreachRow, Measure, SummaryRow

__all__ = [
    "DEFINITIONS",
    "AuditError",
    "AuditReport",
    "BreachRow",
    "Measure",
    "SummaryRow",
    "run_audit",
]
