"""FHIR R4 JSON to validated resources (fhir.resources R4B models) and the lookups mappers need.

Each resource is validated on its own, so one bad entry in a Bundle refuses that entry only.
Resources are kept as the models' plain dumps (dates parsed), read with the helpers below.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from services.gateway.result import RefusalError, Refused

Resource = dict[str, Any]
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # a Bundle of several reports with their attachments
_MAX_ERRORS = 3


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource of a document: where it sat, and the validated resource or its refusal."""

    where: str
    full_url: str
    resource: Resource | None
    refusal: RefusalError | None = None


@dataclass(slots=True)
class Document:
    """Every entry of a single resource or Bundle, indexed for reference resolution."""

    entries: list[Entry]
    by_reference: dict[str, Resource] = field(default_factory=dict)

    def resolve(self, reference: Any, *, within: Resource | None = None) -> Resource | None:
        """The resource a Reference points at: contained (#id), fullUrl or Type/id."""
        if not isinstance(reference, dict):
            return None
        ref = reference.get("reference")
        if not isinstance(ref, str):
            return None
        if ref.startswith("#") and within is not None:
            for contained in within.get("contained") or []:
                if contained.get("id") == ref[1:]:
                    return dict(contained)
            return None
        found = self.by_reference.get(ref)
        if found is None and "/_history/" in ref:
            found = self.by_reference.get(ref.split("/_history/")[0])
        if found is None and ref.count("/") > 1:  # absolute URL: match on its last Type/id
            found = self.by_reference.get("/".join(ref.rstrip("/").split("/")[-2:]))
        return found


def load(raw: bytes) -> Document:
    """Parse and validate a FHIR JSON resource or Bundle; refuses what is not FHIR at all."""
    if not raw.strip():
        raise RefusalError(Refused.EMPTY, "document is empty")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise RefusalError(Refused.OVERSIZED, f"document is over {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RefusalError(Refused.NOT_JSON, "document is not UTF-8 JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise RefusalError(Refused.NOT_FHIR, "document has no resourceType")
    if document["resourceType"] != "Bundle":
        return _index([_entry(document, where=str(document["resourceType"]), full_url="")])
    entries = document.get("entry")
    if not isinstance(entries, list):
        entries = []
    result: list[Entry] = []
    for index, item in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        resource = item.get("resource") if isinstance(item, dict) else None
        full_url = item.get("fullUrl", "") if isinstance(item, dict) else ""
        if resource is None:
            continue  # a DELETE in a transaction, or a notification's empty entry
        result.append(_entry(resource, where=where, full_url=str(full_url)))
    return _index(result)


def _entry(resource: Any, *, where: str, full_url: str) -> Entry:
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return Entry(where, full_url, None, RefusalError(Refused.NOT_FHIR, "no resourceType"))
    kind = resource["resourceType"]
    try:
        model = get_fhir_model_class(kind)
    except (ValueError, KeyError):
        refusal = RefusalError(Refused.NOT_FHIR, "resourceType is not a FHIR R4 resource")
        return Entry(where, full_url, None, refusal)
    try:
        validated = model.model_validate(resource)
    except (ValidationError, ValueError, TypeError, RecursionError) as exc:
        return Entry(where, full_url, None, RefusalError(Refused.INVALID_RESOURCE, _why(exc)))
    dumped = validated.model_dump(by_alias=True, exclude_none=True)
    return Entry(where, full_url, _plain(dumped))


def _why(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return "resource does not validate"
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    # Messages of fhir.resources validators may quote values; only locations and kinds go out.
    parts = [".".join(str(p) for p in e["loc"]) + f" ({e['type']})" for e in errors[:_MAX_ERRORS]]
    return "does not validate as FHIR R4: " + "; ".join(parts)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _index(entries: list[Entry]) -> Document:
    document = Document(entries)
    for entry in entries:
        if entry.resource is None:
            continue
        if entry.full_url:
            document.by_reference[entry.full_url] = entry.resource
        if rid := entry.resource.get("id"):
            document.by_reference[f"{entry.resource['resourceType']}/{rid}"] = entry.resource
    return document


def at(resource: Any, *path: str | int) -> Any:
    """A nested value by keys and list indexes, None where the path stops."""
    value = resource
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
    return value


def text_of(concept: Any) -> str:
    """A CodeableConcept's words: its text, else the first coding's display, else its code."""
    if not isinstance(concept, dict):
        return ""
    for candidate in (
        concept.get("text"),
        at(concept, "coding", 0, "display"),
        at(concept, "coding", 0, "code"),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return ""


def codings(concept: Any) -> list[tuple[str, str]]:
    """A CodeableConcept's (system, code) pairs."""
    found = []
    for coding in at(concept, "coding") or []:
        if isinstance(coding, dict) and coding.get("code"):
            found.append((str(coding.get("system") or ""), str(coding["code"])))
    return found


def attachment_text(attachment: Resource) -> str | None:
    """The text of a text/plain or text/html Attachment, decoded with its charset."""
    content_type = str(attachment.get("contentType") or "").lower()
    kind, _, params = content_type.partition(";")
    if kind.strip() not in {"text/plain", "text/html"}:
        return None
    data = attachment.get("data")
    if data is None:
        return None
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        raw = base64.b64decode(data, validate=False)
        text = raw.decode(charset)
    except (binascii.Error, LookupError, UnicodeDecodeError, ValueError):
        raise RefusalError(
            Refused.INVALID_RESOURCE, "presentedForm data is not base64 text in its charset"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _html_text(text) if kind.strip() == "text/html" else text


class _TextOfHtml(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in self._BREAKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1
        elif tag in self._BREAKS - {"br"} and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(" ".join(data.split()) if "\n" in data else data)


def _html_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts).strip("\n")
