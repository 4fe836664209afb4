"""The pathway agent's pipeline: fold the next batch while the broker acknowledges the last one.

One batch at a time, the single pathway actor idled through two broker round trips per batch
(the outputs, then the changelog). Here batch N+1 is folded while batch N's acknowledgements
are awaited, and at-least-once is kept in the same order as before:

1. batch N's outputs are sent; only once the broker acknowledged all of them
2. are N's states written to the table (the changelog sends), and only once those are
   acknowledged too, and batch N-1 is finished,
3. are N's input events acked (their offsets may commit).

A state therefore never reaches the changelog ahead of the outputs it records (a crash would
otherwise lose an alert: the redelivered event would be a no-op against the newer state).
Batch N+1 is folded on top of N's states before they are in the table (`pending`), but its
outputs go out only after N's outputs are acknowledged; should N fail instead (its events
parked, its states never written), N+1 is folded again against the table. N's changelog
records and N+1's outputs are thus in flight together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from streams.alert_tail import SentAlerts
from streams.bootstrap import Pathway, Runtime
from streams.messages import Inbound
from streams.outbox import Sender
from streams.pathway_batch import Folded, PathwayMetrics, Stored, fold, send_outputs, store
from streams.patient_store import DeadlineIndex, DecodedStates, PatientStore

Ack = Callable[[], Awaitable[None]]
log = structlog.get_logger(__name__)


def _report_failure(task: asyncio.Task[None]) -> None:
    # The next batch re-raises it in the agent; until one comes, say so (no offset moves).
    if not task.cancelled() and task.exception() is not None:
        log.error("pathway.batch_unfinished", error=type(task.exception()).__name__)


@dataclass
class _InFlight:
    batch: list[Inbound]
    folded: Folded
    outputs_sent: asyncio.Future[bool]  # True: acknowledged; False: the batch was parked
    finished: asyncio.Task[None]


class Pipeline:
    """Batches of the pathway agent, each finished in a task of its own, in order."""

    def __init__(
        self,
        *,
        rt: Runtime,
        pathway: Pathway,
        table: PatientStore,
        outbox: Sender,
        index: DeadlineIndex,
        sent: SentAlerts,
        metrics: PathwayMetrics,
    ) -> None:
        self._rt, self._pathway, self._table = rt, pathway, table
        self._outbox, self._index, self._sent, self._metrics = outbox, index, sent, metrics
        self._last: _InFlight | None = None
        self._decoded = DecodedStates()  # states this agent wrote, kept decoded

    async def submit(self, batch: list[Inbound], ack: Ack) -> None:
        """Fold `batch` and start finishing it; `ack` runs once it is done (never raises).

        Returns once the batch's outputs may be sent, i.e. once the previous batch's outputs
        are acknowledged; raises what finishing an earlier batch raised (a changelog write the
        broker refused), so that the agent stops before acking anything after it.
        """
        started = time.perf_counter()
        now = self._rt.clock.now()
        last = self._last
        # The last batch's states while its outputs are awaited (they are not in the table yet);
        # once it is stored the table is the truth (a rebalance may have recovered it since).
        in_flight = last is not None and not last.outputs_sent.done()
        pending = last.folded.states if last is not None and in_flight else None
        folded = self._fold(batch, now, pending)
        if last is not None:
            sent = await last.outputs_sent
            if pending is not None and not sent:  # parked: its states never reach the table
                folded = self._fold(batch, now, None)
            if last.finished.done():
                last.finished.result()  # re-raise a failed changelog write here, in the agent
        outputs_sent: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        finished = asyncio.ensure_future(
            self._finish(batch, folded, now, outputs_sent, ack, last, started)
        )
        finished.add_done_callback(_report_failure)
        self._last = _InFlight(batch, folded, outputs_sent, finished)

    async def drain(self) -> None:
        """Until every submitted batch is finished (the end of the stream)."""
        if self._last is not None:
            last, self._last = self._last, None
            await last.finished

    def cancel(self) -> None:
        """Stop finishing (the agent is stopping): what is not acked is redelivered."""
        if self._last is not None and not self._last.finished.done():
            self._last.finished.cancel()
        self._last = None

    def _fold(
        self, batch: list[Inbound], now: datetime, pending: Mapping[bytes, Stored] | None
    ) -> Folded:
        return fold(
            batch,
            now=now,
            rt=self._rt,
            pathway=self._pathway,
            table=self._table,
            pending=pending,
            decoded=self._decoded,
        )

    async def _finish(
        self,
        batch: list[Inbound],
        folded: Folded,
        now: datetime,
        outputs_sent: asyncio.Future[bool],
        ack: Ack,
        before: _InFlight | None,
        started: float,
    ) -> None:
        try:
            sent = await send_outputs(
                folded,
                batch,
                rt=self._rt,
                now=now,
                outbox=self._outbox,
                sent=self._sent,
                metrics=self._metrics,
            )
        except Exception as exc:  # the dead letters did not go out either: the agent must stop
            outputs_sent.set_exception(exc)
            raise
        except BaseException:
            outputs_sent.cancel()  # the agent stops: nothing after this batch may go out
            raise
        outputs_sent.set_result(sent)
        if sent:
            store(
                folded,
                table=self._table,
                index=self._index,
                metrics=self._metrics,
                decoded=self._decoded,
            )
        if before is not None:
            await before.finished  # acks in order; its failure is this batch's too
        await self._table.acknowledged()  # an offset is committable only once its states are
        self._rt.metrics.pathway_latency.observe(time.perf_counter() - started)
        await ack()
