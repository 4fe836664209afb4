"""The notifier's in-memory recall of recent breaches and tiers stays bounded."""

from services.alerts import delivery


def test_the_oldest_entries_go_first_and_a_rewrite_counts_as_new() -> None:
    seen: dict[str, int] = {}
    for n in range(delivery._MEMORY + 50):
        delivery._remember(seen, f"a-{n}", n)
    assert len(seen) == delivery._MEMORY
    assert "a-0" not in seen
    assert "a-49" not in seen
    delivery._remember(seen, "a-50", -1)  # touched again: now the newest
    delivery._remember(seen, "new", 0)
    assert "a-50" in seen
    assert "a-51" not in seen
