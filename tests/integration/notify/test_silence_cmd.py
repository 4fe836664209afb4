"""`cordwatch silence add | list | end` against a migrated store, and the notifier reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from services.store import make_engine
from services.store.deliveries import DeliveryStore
from services.store.migrations import upgrade


def cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env["CORDWATCH_DATABASE_URL"] = db
    return subprocess.run(
        [str(Path(sys.executable).with_name("cordwatch")), "silence", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_add_list_end(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(db)
    upgrade(engine=engine)
    added = cli(
        db, "add", "--episode", "ep-7", "--reason", "comfort care", "--by", "dr.b", "--for", "4h"
    )
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.split()[0]
    assert cli(db, "list").stdout.count(silence_id) == 1
    store = DeliveryStore(engine=engine)
    (held,) = store.list_silences(at=datetime.now(UTC))
    assert (held.target, held.reason, held.author) == ("ep-7", "comfort care", "dr.b")
    assert cli(db, "end", silence_id, "--by", "dr.c").returncode == 0
    assert cli(db, "end", silence_id, "--by", "dr.c").returncode == 1
    assert silence_id not in cli(db, "list").stdout
    with engine.connect() as conn:
        ended_by = conn.exec_driver_sql("select ended_by from silences").scalar_one()
    assert ended_by == "dr.c"  # the audit keeps who ended it
    bad = cli(db, "add", "--patient", "MRN-1", "--reason", "r", "--by", "b", "--for", "soon")
    assert bad.returncode == 2
    patient = cli(db, "add", "--patient", "MRN-1", "--reason", "r", "--by", "b", "--for", "1h")
    assert patient.returncode == 0, patient.stderr
    # Each action and each listing is in the access log under the OS account, never a patient id.
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select user_name, via, action, target_id from access_log order by at"
        ).all()
    assert [r[2] for r in rows] == ["silence", "read_silences", "end_silence", "read_silences",
                                    "silence"]  # fmt: skip
    assert all(r[0].startswith("os:") and r[1] == "cli" for r in rows)
    assert rows[0][3] == "ep-7"
    assert all("MRN" not in (r[3] or "") for r in rows)
    engine.dispose()
