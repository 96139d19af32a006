"""The incremental board is byte for byte the board a full rebuild gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.leaderboard.ranking import BoardSpec, is_better, ranks, sort_key
from app.leaderboard.rendered import RenderedBoard, board_head, entry_row
from app.leaderboard.service import BoardRow

pytestmark = pytest.mark.unit  # needs no service: `make unit`

SPEC = BoardSpec.from_config(
    {
        "leaderboard": {
            "rank_by": "rmse",
            "tie_breakers": ["mae"],
            "columns": [
                {"key": "rmse", "better": "lower", "precision": 2, "label": {"en": "RMSE"}},
                {"key": "mae", "better": "lower", "precision": 1, "label": {"en": "MAE"}},
            ],
        }
    }
)
T0 = datetime(2027, 5, 14, 9, 0, tzinfo=UTC)
HEAD = board_head("harbour", "final", "public", SPEC)

# One landed entry: team, a coarse score (so ties are common), a tie-breaker, minutes after T0.
landings = st.lists(
    st.tuples(
        st.integers(1, 12),
        st.sampled_from([0.5, 0.75, 1.0, 1.25, float("nan")]),
        st.sampled_from([0.1, 0.2]),
        st.integers(0, 500),
    ),
    max_size=60,
)


def _row(number: int, team: int, rmse: float, mae: float, minutes: int) -> BoardRow:
    values = {"rmse": rmse, "mae": mae}
    if rmse != rmse:
        values = {"mae": mae}  # a missing ranking value ranks last
    return BoardRow(0, team, f"Team {team}", number, T0 + timedelta(minutes=minutes), values)


def _kept(rows: list[BoardRow]) -> list[BoardRow]:
    """What the database's `offer` keeps: each team's best entry by the ranking rules."""
    best: dict[int, BoardRow] = {}
    for row in rows:
        held = best.get(row.team_id)
        if held is None or is_better(
            SPEC, row.values, row.submitted_at, row.submission_id,
            held.values, held.submitted_at, held.submission_id,
        ):  # fmt: skip
            best[row.team_id] = row
    return list(best.values())


def _full_rebuild(kept: list[BoardRow], exclude: set[int]) -> dict[str, object]:
    """The board as read_board would rank it, in the JSON shape of the API."""
    shown = [r for r in kept if r.team_id not in exclude]
    ordered = sorted(shown, key=lambda r: sort_key(SPEC, r.values, r.submitted_at, r.submission_id))
    rank_list = ranks(SPEC, [r.values for r in ordered])
    return {
        **HEAD,
        "total": len(ordered),
        "rows": [
            {
                "rank": rank,
                "team": {"id": r.team_id, "name": r.team_name},
                "submission_id": r.submission_id,
                "submitted_at": r.submitted_at.isoformat(),
                "scores": {
                    "rmse": round(r.values["rmse"], 2) if "rmse" in r.values else None,
                    "mae": round(r.values["mae"], 1),
                },
            }
            for rank, r in zip(rank_list, ordered, strict=True)
        ],
    }


@settings(max_examples=300, deadline=None)
@given(initial=landings, later=landings, exclude=st.sets(st.integers(1, 12), max_size=2))
def test_moving_one_row_at_a_time_gives_the_rebuilt_board(
    initial: list[tuple[int, float, float, int]],
    later: list[tuple[int, float, float, int]],
    exclude: set[int],
) -> None:
    rows = [_row(i + 1, *landing) for i, landing in enumerate(initial + later)]
    first, rest = rows[: len(initial)], rows[len(initial) :]
    board = RenderedBoard(SPEC, HEAD, _kept(first), exclude)
    board.body()  # rendered once before the changes: what is kept must not go stale
    for row in reversed(rest):  # late events arrive in any order
        board.offer(row)
    expected = _full_rebuild(_kept(rows), exclude)
    assert json.loads(board.body()) == expected
    assert board.body() == RenderedBoard(SPEC, HEAD, _kept(rows), exclude).body()
    # Pages and "around a team" are slices of that same board.
    everything = expected["rows"]
    assert isinstance(everything, list)
    page = json.loads(board.body(2, 3))
    assert page["rows"] == everything[2:5] and page["total"] == len(everything)
    assert (page["offset"], page["limit"]) == (2, 3)
    for index, row in enumerate(everything):
        around = board.around(row["team"]["id"], radius=2)
        assert around is not None
        assert json.loads(around)["rows"] == everything[max(0, index - 2) : index + 3]


def test_a_late_worse_entry_changes_nothing_and_excluded_teams_stay_off() -> None:
    board = RenderedBoard(SPEC, HEAD, [_row(1, 1, 0.5, 0.1, 0)], exclude={2})
    before = board.body()
    assert board.offer(_row(2, 1, 1.0, 0.1, 5)) is False  # worse than what the team has
    assert board.offer(_row(3, 2, 0.1, 0.1, 5)) is False  # a disqualified team
    assert board.body() == before
    assert board.offer(_row(4, 1, 0.25, 0.1, 9)) is True
    assert json.loads(board.body())["rows"][0]["submission_id"] == 4
    assert board.around(2) is None


def test_an_event_entry_is_read_back_or_refused() -> None:
    data = {
        "team_id": 3, "team_name": "Delfini", "submission_id": 9,
        "submitted_at": T0.isoformat(), "values": {"rmse": 0.5},
    }  # fmt: skip
    row = entry_row(data)
    assert row is not None and (row.team_id, row.values) == (3, {"rmse": 0.5})
    assert entry_row({**data, "submitted_at": "yesterday"}) is None
    assert entry_row({"team_id": 3}) is None
