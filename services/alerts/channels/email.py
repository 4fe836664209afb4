"""Email pages over SMTP with STARTTLS (aiosmtplib), for teams whose phones read mail.

The Message-ID is derived from the delivery id, so a mail system or a person can tell a resent
copy from a new page; SMTP has no idempotency key, so duplicates after a lost reply are possible,
bounded by the retry cap, and counted by the caller.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from models.pages import Page
from models.routing import Channel
from services.alerts.channels import DeliveryError, Receipt


def render_email(page: Page, *, sender: str, to: str) -> EmailMessage:
    """The message for one page: a subject a lock screen can show, the summary and the links."""
    msg = EmailMessage()
    timer = f" {page.alerts[0].timer.value}" if page.alerts[0].timer else ""
    site = f" {page.facility}" if page.facility else ""
    msg["Subject"] = (
        f"[Cordwatch {page.priority.value.upper()}] {page.alert_type.value}{timer}{site}"
        f" (tier {page.tier})"
    )
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(page.sent_at)
    msg["Message-ID"] = f"<{page.delivery_id}@cordwatch>"
    msg["X-Cordwatch-Delivery"] = page.delivery_id
    msg["X-Cordwatch-Alert"] = page.alert_id
    msg["X-Cordwatch-Raised"] = page.alerts[0].at.isoformat()  # lets a receiver time the page
    lines = [page.summary, "", f"Episode: {page.episode_url}", f"Acknowledge: {page.ack_url}"]
    if len(page.alerts) > 1:
        lines += ["", "In this page:"]
        lines += [f"- {a.alert_type.value}: {a.summary} (ack: {a.ack_url})" for a in page.alerts]
    msg.set_content("\n".join(lines) + "\n")
    return msg


class EmailSender:
    """One SMTP connection per page (pages are rare; a pooled connection would go stale)."""

    channel = Channel.EMAIL

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        tls_context: ssl.SSLContext | None = None,
        timeout_s: float = 15.0,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._starttls = starttls
        self._username = username
        self._password = password
        self._tls = tls_context
        self._timeout = timeout_s

    async def send(self, page: Page, *, target: str) -> Receipt:
        """Deliver once; raise DeliveryError (retryable or not) on failure."""
        message = render_email(page, sender=self._sender, to=target)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                start_tls=self._starttls,
                use_tls=False,
                username=self._username,
                password=self._password,
                tls_context=self._tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            raise DeliveryError("smtp_recipient_refused", retryable=False) from None
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is transient by SMTP's own definition (RFC 5321 section 4.2.1); 5xx is final.
            raise DeliveryError(f"smtp_{exc.code}", retryable=400 <= exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(type(exc).__name__, retryable=True) from None
        # aiosmtplib raises on every non-2xx reply, so a return is the server's 250 to DATA.
        return Receipt(self.channel, "250")
