"""Section headers of radiology reports and what each section is for.

Source: the ACR Practice Parameter for Communication of Diagnostic Imaging Findings (2020) lists
the parts of a report (history/indication, technique, comparison, findings, impression); NICE
NG234 and ConText (Harkema 2009) treat a history or indication as a question, not a finding.
Kinds: "title" and "technique" are not read for findings; "history" is a question or the past;
"findings"; "impression" (outranks findings); "addendum" (starts a new part that can reverse
the report).
"""

HEADER_KINDS: dict[str, str] = {
    # the question asked, or the past
    "history": "history",
    "hx": "history",
    "indication": "history",
    "indications": "history",
    "details": "history",
    "clinical": "history",
    "reason": "history",
    "primary": "history",
    "treatment": "history",
    "patient": "history",
    "re": "history",
    "question": "history",
    "request": "history",
    "information": "history",
    "pmh": "history",
    "background": "history",
    # how the study was done
    "technique": "technique",
    "comparison": "technique",
    "comparisons": "technique",
    "comp": "technique",
    "protocol": "technique",
    "sequences": "technique",
    "contrast": "technique",
    "dose": "technique",
    # what was seen
    "findings": "findings",
    "finding": "findings",
    "report": "findings",
    "observations": "findings",
    # the radiologist's conclusion
    "impression": "impression",
    "impressions": "impression",
    "conclusion": "impression",
    "conclusions": "impression",
    "summary": "impression",
    "imp": "impression",
    "opinion": "impression",
    "diagnosis": "impression",
    "interpretation": "impression",
    # a later statement that can reverse the report
    "addendum": "addendum",
    "addenda": "addendum",
    "amendment": "addendum",
    # neither findings nor questions
    "exam": "title",
    "examination": "title",
    "site": "title",
    "facility": "title",
    "signed": "title",
    "procedure": "title",
    "study": "title",
}

# When a header holds several kinds ("findings/impression", "reason for exam"), the first of
# these wins.
KIND_PRIORITY: tuple[str, ...] = (
    "addendum",
    "impression",
    "history",
    "findings",
    "technique",
    "title",
)

# A paragraph opening with one of these is the conclusion of a letter-style report.
INLINE_IMPRESSION: tuple[bytes, ...] = (
    b"in summary",
    b"in conclusion",
    b"summary",
    b"conclusion",
    b"overall",
    b"to summarise",
    b"to summarize",
)

# A final read written after a preliminary one in the same document replaces it, as an addendum
# does ("FINAL REPORT:", "ATTENDING READ:"); "FINAL IMPRESSION" is only an impression.
FINAL_READ_HEADERS: tuple[bytes, ...] = (
    b"final report",
    b"final read",
    b"final interpretation",
    b"attending read",
    b"attending interpretation",
    b"attending review",
    b"consultant review",
    b"consultant report",
    b"final attending",
)
