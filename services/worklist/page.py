"""The worklist and sign-in pages, rendered on the server: plain HTML and forms, no build step.

Every value from the store is escaped. Forms post back with the session's CSRF token in a
hidden field, so the page works without JavaScript; /worklist/worklist.js adds live countdowns
and reloads when the worklist changes. The page names the patient (it is the clinical worklist)
and is served with ``no-store`` and a script-only-from-self Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from html import escape

from models.review import FEEDBACK_KINDS, ReviewItemPublic
from models.worklist import WorkAlert, WorkEpisode, Worklist, WorkTimer
from services.worklist.care import STEROIDS, SURGICAL_SERVICES

TIMER_LABEL = {"steroids": "Steroids", "surgical_evaluation": "Surgical review"}
STATUS_LABEL = {
    "pending": "running", "breached": "OVERDUE", "met": "met", "met_late": "met late",
    "cancelled": "cancelled",
}  # fmt: skip
SILENCE_HOURS = (1, 4, 8, 12, 24, 72)
FEEDBACK_LABEL = {
    "not_mescc": "Not MESCC", "already_treated_elsewhere": "Already treated elsewhere",
    "duplicate": "Duplicate",
}  # fmt: skip


def _t(at: datetime | None) -> str:
    return "" if at is None else at.strftime("%Y-%m-%d %H:%MZ")


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def countdown_text(due: datetime, now: datetime) -> str:
    """'3 h 05 min left' or 'overdue by 1 h 02 min' (the server's text; the script refines it)."""
    delta = due - now
    left = delta >= timedelta(0)
    minutes = int(abs(delta).total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    span = f"{hours} h {mins:02d} min" if hours else f"{mins} min"
    return f"{span} left" if left else f"overdue by {span}"


def _layout(title: str, body: str, *, stamp: str | None = None) -> str:
    poll = f' data-stamp="{escape(stamp)}"' if stamp else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        "<link rel=stylesheet href='/worklist/worklist.css'>"
        "<script src='/worklist/worklist.js' defer></script>"
        f"</head><body{poll}>{body}</body></html>"
    )


def _hidden(csrf: str) -> str:
    return f"<input type=hidden name=csrf_token value='{escape(csrf)}'>"


def signin_page(*, signin_token: str, error: str | None = None, name: str = "") -> str:
    """The sign-in form (its token pairs with a cookie: a form on another site cannot post it)."""
    problem = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    body = (
        "<main class=signin><h1>Cordwatch</h1><p>MSCC coordinator's worklist</p>"
        f"{problem}<form method=post action='/signin'>"
        f"<input type=hidden name=signin_token value='{escape(signin_token)}'>"
        f"<label>Name <input name=name autocomplete=username required value='{escape(name)}'>"
        "</label><label>Password <input name=password type=password "
        "autocomplete=current-password required></label>"
        "<button type=submit>Sign in</button></form></main>"
    )
    return _layout("Sign in - Cordwatch", body)


def message_page(title: str, text: str) -> str:
    """A plain page for refusals (403) and errors."""
    return _layout(title, f"<main><h1>{escape(title)}</h1><p>{escape(text)}</p>"
                          "<p><a href='/worklist'>Back to the worklist</a></p></main>")  # fmt: skip


def worklist_page(
    wl: Worklist, *, user: str, role: str, csrf: str, stamp: str, notice: str | None = None,
    review: str = "", zone: str = "UTC",
) -> str:  # fmt: skip
    """The whole worklist page."""
    top = (
        "<header class=top><h1>MSCC worklist</h1>"
        f"<p class=who>Signed in as <strong>{escape(user)}</strong> ({escape(role)})</p>"
        f"<form method=post action='/signout' class=signout>{_hidden(csrf)}"
        "<button type=submit>Sign out</button></form>"
        f"<p class=asof>As of <time datetime='{_iso(wl.as_of)}' id=as-of>{_t(wl.as_of)}</time>"
        f" &middot; <span id=open-count>{len(wl.episodes)}</span> open "
        f"episode{'' if len(wl.episodes) == 1 else 's'}, soonest "
        "deadline first &middot; <span id=live>updates itself</span></p></header>"
    )
    note = f"<p class=notice role=status>{escape(notice)}</p>" if notice else ""
    episodes = "".join(_episode(e, wl.as_of, csrf, zone) for e in wl.episodes) or (
        "<p class=empty>No open episodes.</p>"
    )
    body = f"{top}{note}{review}<main id=episodes>{episodes}</main>{feedback_template(csrf)}"
    return _layout("Worklist - Cordwatch", body, stamp=stamp)


def _episode(e: WorkEpisode, now: datetime, csrf: str, zone: str) -> str:
    grade = f"ESCC {escape(e.escc_grade)}" if e.escc_grade else "ESCC grade not stated"
    if e.high_grade:
        grade += " (high grade)"
    if e.sins_total is not None:
        sins = f"SINS {e.sins_total}"
    elif e.sins_min is not None and e.sins_max is not None:
        sins = f"SINS {e.sins_min}&ndash;{e.sins_max}"
    else:
        sins = "SINS not scored"
    if e.sins_category:
        sins += f" ({escape(e.sins_category)})"
    levels = escape(", ".join(e.levels)) if e.levels else "levels not stated"
    head = (
        f"<header><h2><span class=patient>{escape(e.patient_id)}</span>"
        f"<span class='priority {escape(e.priority)}'>{escape(e.priority)}</span></h2>"
        f"<p class=facts><span class=grade>{grade}</span> &middot; <span class=levels>{levels}"
        f"</span> &middot; <span class=sins>{sins}</span> &middot; suspected "
        f"{_t(e.suspected_at)}{' &middot; ' + escape(e.facility) if e.facility else ''}</p>"
        "</header>"
    )
    clocks = "".join(_timer(t, now) for t in e.timers) or "<p>No clocks.</p>"
    return (
        f"<section class=episode id='ep-{escape(e.episode_id)}' "
        f"data-episode-id='{escape(e.episode_id)}'>{head}"
        f"<div class=clocks>{clocks}</div>"
        f"{_evidence(e)}{_advice(e.advice)}{_alerts(e.alerts, csrf)}{_silences(e, csrf)}"
        f"{_care_form(e, csrf, zone)}</section>"
    )


def _timer(t: WorkTimer, now: datetime) -> str:
    label = TIMER_LABEL.get(t.kind, t.kind)
    status = STATUS_LABEL.get(t.status, t.status)
    if t.running:
        late = " late" if t.due_at <= now else ""
        clock = (f"<span class='countdown{late}' data-due='{_iso(t.due_at)}'>"
                 f"{countdown_text(t.due_at, now)}</span>")  # fmt: skip
    else:
        clock = f"<span class=done>{escape(status)} {_t(t.met_at)}</span>"
    return (
        f"<div class='clock {escape(t.status)}' data-kind='{escape(t.kind)}'>"
        f"<span class=label>{escape(label)}</span>{clock}"
        f"<span class=due>due {_t(t.due_at)} &middot; {escape(status)}</span></div>"
    )


def _evidence(e: WorkEpisode) -> str:
    if not e.evidence:
        return ""
    quotes = "".join(
        f"<blockquote><mark>{escape(ev.sentence)}</mark>"
        f"<footer>{escape(ev.section or 'report')} &middot; {escape(', '.join(ev.fields))}"
        "</footer></blockquote>"
        for ev in e.evidence
    )
    source = f" <span class=report>{escape(e.report)}</span>" if e.report else ""
    return f"<div class=evidence><h3>Evidence{source}</h3>{quotes}</div>"


def _advice(advice: Iterable[str]) -> str:
    items = "".join(f"<li>{escape(a)}</li>" for a in advice)
    return f"<div class=advice><h3>Advice (consider)</h3><ul>{items}</ul></div>" if items else ""


def _alerts(alerts: tuple[WorkAlert, ...], csrf: str) -> str:
    if not alerts:
        return "<div class=alerts><h3>Alerts</h3><p>None yet.</p></div>"
    rows = []
    for a in alerts:
        sent = (
            "".join(
                f"<li>{escape(d.receiver)} via {escape(d.channel or '-')} (tier {d.tier}): "
                f"{escape(d.outcome)}{' - ' + escape(d.reason) if d.reason else ''} {_t(d.at)}</li>"
                for d in a.deliveries
            )
            or f"<li>{escape(a.delivery_status or 'not delivered yet')}</li>"
        )
        if a.acknowledged_at is not None:
            ack = (f"<span class=acked>acknowledged by {escape(a.acknowledged_by or '')} "
                   f"{_t(a.acknowledged_at)}</span>")  # fmt: skip
        else:
            ack = (
                f"<form method=post action='/worklist/alerts/{escape(a.alert_id)}/ack'>"
                f"{_hidden(csrf)}<button type=submit class=ack>Acknowledge</button></form>"
            )
        rows.append(
            f"<tr class='alert {escape(a.priority)}' data-alert-id='{escape(a.alert_id)}'>"
            f"<td>{_t(a.at)}</td><td>{escape(a.alert_type)}</td><td>{escape(a.priority)}</td>"
            f"<td>{escape(a.summary)}</td><td><ul class=deliveries>{sent}</ul></td>"
            f"<td>{ack}<button type=button class=feedback-open "
            f"data-alert-id='{escape(a.alert_id)}'>Feedback</button></td></tr>"
        )
    return (
        "<div class=alerts><h3>Alerts</h3><table><thead><tr><th>At</th><th>Alert</th>"
        "<th>Priority</th><th>Summary</th><th>Deliveries</th><th>Acknowledgement</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _silences(e: WorkEpisode, csrf: str) -> str:
    holding = "".join(
        f"<li class=silence>silenced until {_t(s.expires_at)} by {escape(s.author)}: "
        f"{escape(s.reason)}</li>"
        for s in e.silences
    )
    hours = "".join(f"<option value={h}>{h} h</option>" for h in SILENCE_HOURS)
    return (
        f"<div class=silences>{'<ul>' + holding + '</ul>' if holding else ''}"
        f"<form method=post action='/worklist/episodes/{escape(e.episode_id)}/silence' "
        f"class=silence-form>{_hidden(csrf)}<label>Silence pages for <select name=hours>"
        f"{hours}</select></label><label>Reason <input name=reason required maxlength=500>"
        "</label><button type=submit>Silence</button></form></div>"
    )


def _care_form(e: WorkEpisode, csrf: str, zone: str) -> str:
    drugs = "".join(f"<option value='steroids:{escape(d)}'>Steroids given: {escape(d)}</option>"
                    for d in STEROIDS)  # fmt: skip
    services = "".join(
        f"<option value='surgical:{escape(s)}'>Surgical review done: {escape(s)}</option>"
        for s in SURGICAL_SERVICES
    )
    return (
        f"<form method=post action='/worklist/episodes/{escape(e.episode_id)}/care' "
        f"class=care-form>{_hidden(csrf)}<label>Care done elsewhere <select name=what>"
        f"{drugs}{services}</select></label><label>At ({escape(zone)}) <input name=occurred_at "
        "type=datetime-local required></label><button type=submit>Record care</button></form>"
    )


def _kinds(field: str) -> str:
    options = "".join(f"<option value={k}>{escape(FEEDBACK_LABEL[k])}</option>"
                      for k in FEEDBACK_KINDS)  # fmt: skip
    return f"<select name={field}>{options}</select>"


def feedback_template(csrf: str) -> str:
    """The alert feedback form, once per page: worklist.js puts a copy under the alert whose
    Feedback button was pressed (a JSON API, streams/review_api.py, posted with the CSRF header)."""
    return (
        "<template id=feedback-template><form class='api-form feedback-form' data-done=feedback>"
        f"{_hidden(csrf)}{_kinds('kind')}"
        "<input name=note maxlength=2000 placeholder='note (optional)'>"
        "<button type=submit>Send</button><span class=api-error role=alert></span></form>"
        "</template>"
    )


def review_section(items: list[ReviewItemPublic], csrf: str) -> str:
    """Reports the detector marked review_needed: each with its evidence and the two verdicts."""
    if not items:
        return ("<section class=reviews id=reviews><h2>Review queue</h2>"
                "<p class=empty>No reports waiting for review.</p></section>")  # fmt: skip
    cards = "".join(_review(item, csrf) for item in items)
    return (
        f"<section class=reviews id=reviews><h2>Review queue ({len(items)})</h2>"
        "<p class=hint>Reports that touch the canal, cord or roots without meeting "
        "&ldquo;suspected&rdquo;: confirm to open the episode with its clocks from the report's "
        f"time, or dismiss with a reason.</p>{cards}</section>"
    )


def _review(item: ReviewItemPublic, csrf: str) -> str:
    sentences = dict.fromkeys(c.sentence for c in item.cues if c.sentence)
    if not sentences and item.sentence:
        sentences = {item.sentence: None}
    quotes = "".join(f"<blockquote><mark>{escape(s)}</mark></blockquote>" for s in sentences)
    rid = escape(item.review_id)
    return (
        f"<article class=review data-review-id='{rid}'><h3><span class=patient>"
        f"{escape(item.patient_id)}</span> {escape(item.accession)} ({escape(item.exam)}, "
        f"{escape(item.report_status)}) reported {_t(item.report_at)}</h3>{quotes}"
        f"<div class=verdicts><form class='api-form confirm-form' "
        f"data-url='/api/review/{rid}/confirm' data-done=confirmed>{_hidden(csrf)}"
        "<button type=submit class=confirm>Confirm suspected MESCC</button>"
        "<span class=api-error role=alert></span></form>"
        f"<form class='api-form dismiss-form' data-url='/api/review/{rid}/dismiss' "
        f"data-done=dismissed>{_hidden(csrf)}{_kinds('reason')}"
        "<input name=note maxlength=2000 placeholder='note (optional)'>"
        "<button type=submit class=dismiss>Dismiss</button>"
        "<span class=api-error role=alert></span></form></div></article>"
    )
