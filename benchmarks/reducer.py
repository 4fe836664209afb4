"""The pure pathway reducer: CPU per event as one patient's history grows, and stored state size.

    .venv/bin/python -m benchmarks.reducer [--sizes 10,100,1000] [--patients 2000] [--seed 7]
        [--baseline-ref REF]

1. CPU per event (process time) of ``handle`` for one patient with N events, N in ``--sizes``,
   for two long stays (issue 11, finding 1): (a) one positive MRI, its care, then a stream of
   chest radiographs that find nothing, assessments, doses and transfers; (b) report/discharge
   cycles (every fourth event a positive MRI, then care, then a discharge). The detector is a
   stand-in that reads its verdict from the text (the real one costs the same per report
   whatever the history, so it would only hide the reducer); the scorer is the real one. The
   ratio of each size's CPU per event to the smallest size's, measured in the same run, is the
   figure: flat means within 2x. Also the stored state's size after the N events.
2. Stored state size on the simulated hospital: ``cordwatch simulate --seed 7 --patients 2000``
   (the same stories, in memory) replayed through the replay driver with the real detector and
   scorer; the median and p90 of the patients table value (``encode_state``: the changelog
   record). With ``--baseline-ref REF`` (e.g. the commit before issue 11), the same measurement
   runs in the same invocation on that commit's code (a temporary git worktree), and the ratio
   is printed.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PATIENT = "P-LONG-STAY"


def _event(kind: str, n: int, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "event_type": kind,
        "occurred_at": at.isoformat(),
        "patient_id": PATIENT,
        "facility": "RLH",
        **fields,
    }


def _report(n: int, at: datetime, text: str, accession: str) -> dict[str, Any]:
    return _event(
        "imaging_report",
        n,
        at,
        accession=accession,
        status="final",
        modality="MR" if "SUSPECT" in text else "XR",
        exam="MRI WHOLE SPINE" if "SUSPECT" in text else "XR CHEST",
        text=text,
    )


def long_stay(size: int) -> list[dict[str, Any]]:
    """One open episode, then a stay's worth of events that find nothing."""
    events = [_report(0, T0, "SUSPECT grade=2", "MR-1")]
    for n in range(1, size):
        at = T0 + timedelta(minutes=37 * n)
        match n % 4:
            case 0:
                events.append(_report(n, at, "NORMAL chest", f"XR-{n}"))
            case 1:
                events.append(
                    _event(
                        "medication_administration",
                        n,
                        at,
                        administration_id=f"ADM-{n}",
                        medication="Dexamethasone 8 mg",
                        dose_mg=8,
                        route="oral",
                        status="completed",
                    )
                )
            case 2:
                events.append(_event("assessment", n, at, pain="mechanical", ambulatory=True))
            case _:
                events.append(_event("transfer", n, at, unit=f"Ward {n % 7}"))
    return events


def cycles(size: int) -> list[dict[str, Any]]:
    """Report/discharge cycles: a positive MRI, a dose, a consult, a discharge; again."""
    events: list[dict[str, Any]] = []
    for n in range(size):
        at = T0 + timedelta(hours=6 * n)
        match n % 4:
            case 0:
                events.append(_report(n, at, "SUSPECT grade=2", f"MR-{n}"))
            case 1:
                events.append(
                    _event(
                        "medication_administration",
                        n,
                        at,
                        administration_id=f"ADM-{n}",
                        medication="Dexamethasone 16 mg",
                        dose_mg=16,
                        route="oral",
                        status="completed",
                    )
                )
            case 2:
                events.append(
                    _event("consult_completed", n, at, consult_id=f"C-{n}", service="Spine Surgery")
                )
            case _:
                events.append(_event("discharge", n, at))
    return events


def stand_in_detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Any:
    from models.detection import Detection, Evidence

    if "SUSPECT" in text:
        sentence = "Epidural tumour at T7 compressing the cord, ESCC grade 2."
        return Detection(
            suspected_mescc=True,
            escc_grade="2",
            high_grade=True,
            levels=["T7"],
            evidence=[Evidence(field="escc_grade", rule="b", sentence=sentence, start=0, end=9)],
        )
    return Detection()


def cpu_per_event(events: list[dict[str, Any]]) -> tuple[float, int]:
    """Process-time microseconds per event over the whole sequence; final state bytes."""
    from models.events import patient_event_adapter
    from services.pathway import handle
    from services.policy import load_policy
    from streams.patient_store import encode_state

    policy = load_policy()
    parsed = [patient_event_adapter.validate_python(e) for e in events]
    best = float("inf")
    state: Any = None
    for _ in range(3):  # best of three: the machine is shared
        state = None
        started = time.process_time()
        for event in parsed:
            state, _ = handle(
                state, event, event.occurred_at, policy=policy, detector=stand_in_detect
            )
        best = min(best, time.process_time() - started)
    return best / len(parsed) * 1e6, len(encode_state(state))


def _simulate(path: Path, patients: int, seed: int) -> None:
    subprocess.run(
        [str(Path(sys.executable).with_name("cordwatch")), "simulate", "--seed", str(seed),
         "--patients", str(patients), "--dry-run", "--format", "replay", "--out", str(path)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip


_SIZES_SCRIPT = """
import json, statistics, sys
import services
assert services.__file__.startswith(sys.argv[2]), services.__file__
from services.pathway.replay import read_lines, replay
from services.policy import load_policy
try:
    from streams.patient_store import encode_state
except ImportError:  # code from before the patient-store split
    from streams.agents.pathway import encode_state
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
driver, _ = replay(read_lines(lines), policy=load_policy())
sizes = sorted(len(encode_state(s)) for s in driver.states.values())
print(json.dumps({"patients": len(sizes), "median_bytes": statistics.median(sizes),
                  "p90_bytes": sizes[int(len(sizes) * 0.9)], "max_bytes": sizes[-1]}))
"""


def measure_sizes(lines_path: Path, code_root: Path) -> dict[str, Any]:
    """Replay the file with the code under ``code_root``; the stored states' sizes."""
    out = subprocess.run(
        [sys.executable, "-c", _SIZES_SCRIPT, str(lines_path), str(code_root)],
        cwd=code_root, env={"PYTHONPATH": str(code_root), "PATH": "/usr/bin:/bin"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-ref", help="git ref to measure state size on, same run")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print("1. reducer CPU per event, one patient (best of 3, process time)")
    for name, make in (
        ("long stay, one open episode", long_stay),
        ("report/discharge cycles", cycles),
    ):
        base: float | None = None
        for size in sizes:
            per_event, state_bytes = cpu_per_event(make(size))
            base = base or per_event
            print(
                f"   {name:30s} N={size:5d}: {per_event:8.1f} us/event  x{per_event / base:4.2f} "
                f"of N={sizes[0]}  state {state_bytes / 1024:6.1f} KB"
            )
    print(f"2. stored state on `cordwatch simulate --seed {args.seed} --patients {args.patients}`")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sim.jsonl"
        _simulate(path, args.patients, args.seed)
        here = measure_sizes(path, ROOT)
        print(f"   this code: {json.dumps(here)}")
        if args.baseline_ref:
            worktree = Path(tmp) / "baseline"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree),
                 args.baseline_ref], check=True, capture_output=True,
            )  # fmt: skip
            try:
                then = measure_sizes(path, worktree)
            finally:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)],
                    check=False, capture_output=True,
                )  # fmt: skip
            print(f"   {args.baseline_ref}: {json.dumps(then)}")
            ratio = here["median_bytes"] / then["median_bytes"]
            print(f"   median state: x{ratio:.2f} of {args.baseline_ref} (same run, same feed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
