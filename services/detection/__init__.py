"""The report detector: radiology report text in, suspected MESCC with evidence out (issue 3).

Pure and table-driven: the rules live in ``services.detection.lexicon`` as data; the engine
(ConText-style scoping over RE2 matches) applies them. No I/O, no logging, no clock.
"""

from services.detection.detector import detect

__all__ = ["detect"]
