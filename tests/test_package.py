"""Package-level checks: the blocks are re-exported and the collection entry point is declared."""

from importlib.metadata import entry_points


def test_collection_entry_point_declared() -> None:
    names = [entry.value for entry in entry_points(group="prefect.collections")]

    assert "rasl_prefect" in names
