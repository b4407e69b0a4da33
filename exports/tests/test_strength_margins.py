"""Preference strength in exports: native rows keep what trainers said and its margins, and a pair's
`margin` sums the strengths' margins between its two tiers (the worked example of docs/export-formats.md)."""

import pytest

from exports.formats import export_lines, oriented, restrict_to_endpoint, row_pairs, strength_pairs
from exports.moderation import export_rows
from exports.options import ExportOptions
from exports.services import comparisons_for_export
from exports.tests.strength_data import strength_project

W, X, Y, Z = 1, 2, 3, 4


def lines(project, format, **options):
    comparisons = comparisons_for_export(project=project)
    rows = export_rows(project=project, comparisons=comparisons, format=format)
    return list(export_lines(rows, format=format, options=ExportOptions(**options)))


def margins(found) -> dict[tuple[int, int], float]:
    return {(winner, loser): margin for winner, loser, margin in found}


def test_a_pair_s_margin_sums_the_strengths_between_its_tiers():
    # slightly, clearly, much = 1, 2, 3: W clearly over X = Y, X = Y much over Z.
    assert margins(strength_pairs([[W], [X, Y], [Z]], [2.0, 3.0])) == {
        (W, X): 2.0,
        (W, Y): 2.0,
        (W, Z): 5.0,
        (X, Z): 3.0,
        (Y, Z): 3.0,
    }


def test_a_ranking_whose_strengths_do_not_fit_its_tiers_keeps_the_tier_distance():
    assert strength_pairs([[W], [X], [Y]], [3.0]) == [(W, X, 1), (W, Y, 2), (X, Y, 1)]


@pytest.mark.django_db
def test_native_rows_show_the_strengths_and_the_project_s_margins_for_them(project):
    strength_project(project)
    [row] = lines(project, "native")
    assert [(r["strengths"], r["strength_margins"]) for r in row["rankings"]] == [
        (["clearly", "much"], [2.0, 3.0]),
        (["slightly", "slightly", "much"], [1.0, 1.0, 3.0]),
    ]
    # The margins are read at export: a lead who changes them changes the next export, not the rankings.
    project.strength_margins = [1.0, 4.0, 9.0]
    project.save(update_fields=["strength_margins"])
    [row] = lines(project, "native")
    assert [r["strength_margins"] for r in row["rankings"]] == [[4.0, 9.0], [1.0, 1.0, 9.0]]


@pytest.mark.django_db
def test_trl_margins_of_the_worked_example_per_ranking_and_from_the_consensus(project):
    w, x, y, z = strength_project(project)
    pair = {w: "W", x: "X", y: "Y", z: "Z"}
    text = {answer["id"]: answer["text"] for answer in lines(project, "native")[0]["candidates"]}
    by_text = {value: pair[key] for key, value in text.items()}

    def found(**options):
        return [
            (by_text[line["chosen"][0]["content"]], by_text[line["rejected"][0]["content"]], line["margin"])
            for line in lines(project, "trl", margin=True, **options)
        ]

    assert found(expansion="individual") == [
        ("W", "X", 2.0), ("W", "Y", 2.0), ("W", "Z", 5.0), ("X", "Z", 3.0), ("Y", "Z", 3.0),
        ("W", "X", 1.0), ("W", "Y", 2.0), ("W", "Z", 5.0), ("X", "Y", 1.0), ("X", "Z", 4.0), ("Y", "Z", 3.0),
    ]  # fmt: skip
    # The consensus is W > X > Y > Z: each pair's margin is the mean over the rankings that order it so;
    # X over Y only the second ranking does (the first ties them).
    assert found() == [
        ("W", "X", 1.5), ("W", "Y", 2.0), ("W", "Z", 5.0), ("X", "Y", 1.0), ("X", "Z", 3.5), ("Y", "Z", 3.0),
    ]  # fmt: skip
    assert found(expansion="best_vs_rest") == [("W", "X", 1.5), ("W", "Y", 2.0), ("W", "Z", 5.0)]


def native_row(rankings, consensus):
    candidates = [{"id": id, "text": str(id), "endpoint": "a" if id != Y else "b"} for id in (W, X, Y, Z)]
    return {"prompt": [{"role": "user", "content": "?"}], "rankings": rankings, "consensus": consensus} | {
        "candidates": candidates,
        "continuations": [],
        "safe_answers": [],
    }


def test_a_consensus_pair_no_ranking_with_strengths_orders_so_keeps_its_tier_distance():
    rankings = [
        {"tiers": [[X], [W], [Y], [Z]], "strengths": ["much"] * 3, "strength_margins": [3.0, 3.0, 3.0]},
        {"tiers": [[W], [X], [Y], [Z]], "strengths": [], "strength_margins": []},
    ]
    row = native_row(rankings, [[W], [X], [Y], [Z]])
    assert margins(row_pairs(row, expansion="consensus")) == {
        (W, X): 1,  # only the ranking without strengths puts W first
        (W, Y): 3.0,
        (W, Z): 6.0,
        (X, Y): 6.0,
        (X, Z): 9.0,
        (Y, Z): 3.0,
    }
    unmeasured = native_row([{"tiers": [[W], [X], [Y], [Z]]}], [[W], [X], [Y], [Z]])
    assert margins(row_pairs(unmeasured, expansion="consensus"))[W, Z] == 3


def test_a_harmfulness_ranking_turned_around_keeps_each_pair_s_strength():
    # W much more harmful than X, X slightly more harmful than Y: Y slightly better than X, X much better than W.
    ranking = {
        "tiers": [[W], [X], [Y]],
        "question": "harmful",
        "strengths": ["much", "slightly"],
        "strength_margins": [3.0, 1.0],
    }
    [turned] = oriented(native_row([ranking], [[W], [X], [Y]]))["rankings"]
    assert (turned["tiers"], turned["strengths"], turned["strength_margins"]) == (
        [[Y], [X], [W]],
        ["slightly", "much"],
        [1.0, 3.0],
    )
    assert margins(strength_pairs(turned["tiers"], turned["strength_margins"])) == {
        (Y, X): 1.0,
        (Y, W): 4.0,
        (X, W): 3.0,
    }


def test_an_endpoint_s_pairs_keep_the_margins_of_the_tiers_left_out_between_them():
    ranking = {"tiers": [[W], [Y], [X], [Z]], "strengths": ["clearly", "slightly", "much"]}
    ranking["strength_margins"] = [2.0, 1.0, 3.0]
    row = restrict_to_endpoint(native_row([ranking], [[W], [Y], [X], [Z]]), "a")
    [cut] = row["rankings"]
    assert (cut["tiers"], cut["strengths"], cut["strength_margins"]) == (
        [[W], [X], [Z]],
        ["clearly+slightly", "much"],
        [3.0, 3.0],
    )
    assert margins(row_pairs(row, expansion="individual")) == {(W, X): 3.0, (W, Z): 6.0, (X, Z): 3.0}
