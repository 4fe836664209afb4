"""The pathway agent: the single writer of each patient's state (DESIGN.md section 1).

Wiring only: batches of cordwatch.patient-events go to `streams.pathway_batch.process_batch`
(the fold, the sends, the state writes); the agent acks them once their states are stored,
and folds the next batch while the changelog acknowledges them (`consume_batches`).

Per event: decode, fold it into the patient's state with the pure reducer, send the outputs,
then write the table. Effects are ordered for at-least-once delivery without transactions:
outputs are acknowledged by the broker before the state that records them is written, and the
agent acks an input event (lets its offset be committed) only once the broker has acknowledged
the changelog records of its batch; Faust's own pre-commit flush is not relied on, it gives up
after 0.1 s a message (see PatientTable.acknowledged). A crash at any point therefore
re-delivers the event against the state from before it, and the same outputs go out again with
the same uuid5 ids (delivery dedupes alerts on alert_id, the sink drops stale versions); a crash
can never leave a state that is ahead of its outputs, which would lose an alert.
"""

from __future__ import annotations

from collections.abc import Awaitable

from faust.types import AppT, StreamT
from structlog.contextvars import bound_contextvars

from streams import topics
from streams.agents.consume import consume_batches
from streams.alert_tail import SentAlerts
from streams.bootstrap import Runtime
from streams.decoded_states import DecodedStates
from streams.messages import Inbound
from streams.pathway_batch import PathwayMetrics, process_batch

# Up to this many events share one broker round trip; a lone event waits at most BATCH_WITHIN.
BATCH_MAX = 200
BATCH_WITHIN_SECONDS = 0.01


def register(app: AppT, rt: Runtime) -> None:
    """The pathway agent on a pathway worker's `app`, writing the Runtime's patients table."""
    table = rt.patient_store()
    metrics = PathwayMetrics.create(rt.registry)  # every series at zero from the first scrape

    @app.agent(topics.raw_topic(app, topics.PATIENT_EVENTS), name="pathway")
    async def pathway_agent(stream: StreamT[bytes]) -> None:
        """Single writer per patient: fold each batch of events into the patients table."""
        outbox = rt.outbox("pathway")
        sent = SentAlerts(rt.read_alert_tail, lambda: app.consumer_generation_id)
        decoded = DecodedStates()  # the states this agent wrote, for the next event of each

        async def handle(batch: list[Inbound]) -> Awaitable[None]:
            with bound_contextvars(topic=topics.PATIENT_EVENTS):
                await process_batch(
                    batch, rt=rt, pathway=rt.pathway, table=table, outbox=outbox,
                    index=rt.deadlines, sent=sent, metrics=metrics, decoded=decoded,
                    digests=rt.digests,
                )  # fmt: skip
            # An offset is committable only once its states are stored; the next batch folds
            # (on these states, already in the table) while the changelog acknowledges them.
            return table.acknowledged()

        await consume_batches(stream, handle, size=BATCH_MAX, within=BATCH_WITHIN_SECONDS)
