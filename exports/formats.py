"""Export formats: pure functions from RankLab's native row to the rows a trainer loads.

The native row (see `exports.native`) holds the prompt, every candidate, every ranking and
the consensus, and in chat projects the turn's continuations. Every other format is derived
from it here, so all formats agree. Tiers are lists of candidate ids, best first; candidates
in one tier are tied, and a tie never becomes a preference pair. A demonstration (an answer a
trainer wrote in chat) is preferred to every sampled candidate of its turn.

A ranking answers a question: "which response is better?" (`helpful`) or, in red-team
projects, "which response is more harmful?" (`harmful`). Native rows keep the trainers'
tiers as they ranked them; every other format reads a harmful ranking turned around, so that
its first tier is always the answer to prefer (the least harmful), and never writes an answer
marked as a successful attack as one to imitate.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import accumulate, pairwise

from exports.length import PairSelection
from exports.options import ExportOptions
from rankings.agreement import average_ranks, strict_pairs
from rankings.consensus import ranked_pairs
from ranklab.errors import RankLabError

FORMATS = (
    "native", "trl", "hh", "openai_dpo", "sft", "kto", "prompt_only", "tree", "as_imported", "redteam_pairs",
    "moderation_feedback", "ratings",
)  # fmt: skip
# How the export page and the API describe each format (docs/export-formats.md says more).
FORMAT_LABELS = {
    "native": "native: everything known about each comparison",
    "trl": "trl: preference pairs (TRL reward and DPO trainers)",
    "hh": "hh: preference pairs as HH-RLHF transcripts",
    "openai_dpo": "openai_dpo: OpenAI preference fine-tuning",
    "sft": "sft: prompts with the answer kept",
    "kto": "kto: single answers labelled desirable or not (TRL KTO trainer)",
    "prompt_only": "prompt_only: prompts without answers, for online training",
    "tree": "tree: one message tree per conversation",
    "as_imported": "as_imported: each row back in the shape it was imported in",
    "redteam_pairs": "redteam_pairs: safe answers chosen over successful attacks (TRL pairs)",
    "moderation_feedback": "moderation_feedback: texts with the filter's verdict and the trainers' judgements",
    "ratings": "ratings: each rated answer with its mean rating per rubric attribute (HelpSteer2's shape)",
}
SCHEMA_VERSION = 3
# The questions a ranking answers (`labeler.models.RANKING_QUESTIONS`), kept here as text: formats are pure.
HELPFUL, HARMFUL = "helpful", "harmful"
# The formats that make preferences of the rankings' order: they refuse an export that mixes
# helpfulness and harmfulness rankings unless it asks to (`ExportOptions.mix_questions`).
PREFERENCE_FORMATS = ("trl", "hh", "openai_dpo", "sft", "kto", "tree", "as_imported")
# The formats that write chosen/rejected pairs: the length filters (`exports.length`) select among their pairs.
PAIR_FORMATS = ("trl", "hh", "openai_dpo", "as_imported", "redteam_pairs")


def check_questions(questions: set[str], *, format: str, options: ExportOptions) -> None:
    """Refuse a preference export over rankings of both questions, unless the options allow it."""
    if format in PREFERENCE_FORMATS and len(questions) > 1 and not options.mix_questions:
        raise RankLabError(
            f"These rankings answer different questions ({', '.join(sorted(questions))}): "
            f"helpfulness and harmfulness preferences would be mixed in one {format} file. "
            "Export them apart (e.g. by completion date), or set mix_questions to mix them on purpose."
        )


def row_question(row: dict) -> str:
    """The question the row's rankings answered: `helpful`, `harmful`, or `mixed` when they differ."""
    questions = {ranking.get("question", HELPFUL) for ranking in row["rankings"]}
    if len(questions) > 1:
        return "mixed"
    return questions.pop() if questions else HELPFUL


def oriented(row: dict) -> dict:
    """The row with every harmful ranking turned around: the first tier is the answer to prefer.

    The consensus is turned with them; a comparison ranked under both questions (its project's
    red-team setting changed while it was ranked) takes its consensus from the turned rankings.
    """
    rankings = row["rankings"]
    if not any(ranking.get("question") == HARMFUL for ranking in rankings):
        return row
    turned = [_turned(ranking) if ranking.get("question") == HARMFUL else ranking for ranking in rankings]
    if row_question(row) == HARMFUL:
        consensus = row["consensus"][::-1]
    else:
        consensus = ranked_pairs([ranking["tiers"] for ranking in turned])
    return {**row, "rankings": turned, "consensus": consensus}


def _turned(ranking: dict) -> dict:
    """A ranking read the other way round; "much more harmful" is "much better" the other way."""
    turned = {**ranking, "tiers": ranking["tiers"][::-1]}
    if ranking.get("strengths"):
        turned["strengths"] = ranking["strengths"][::-1]
        turned["strength_margins"] = ranking["strength_margins"][::-1]
    return turned


def attacked(row: dict) -> set[int]:
    """The candidates of the row that a trainer marked as a successful attack."""
    return {int(candidate) for ranking in row["rankings"] for candidate in ranking.get("attacks", {})}


def preference_pairs(tiers: list[list[int]], *, expansion: str = "consensus") -> list[tuple[int, int, int]]:
    """(winner, loser, margin) for the non-tied pairs of one ranking; margin is the tier distance.

    Pairs come best first, candidates of a tier by id (`rankings.agreement.strict_pairs`).
    `best_vs_rest` keeps only the single best's pairs, none when the best is tied; they are the
    first pairs `strict_pairs` would give, built directly since it is a hot path of exports.
    """
    if expansion == "best_vs_rest":
        if not tiers or len(tiers[0]) != 1:
            return []
        best = tiers[0][0]
        return [(best, other, distance) for distance, tier in enumerate(tiers[1:], 1) for other in sorted(tier)]
    return strict_pairs(tiers)


def strength_pairs(tiers: list[list[int]], margins: list[float]) -> list[tuple[int, int, float]]:
    """(winner, loser, margin) for the non-tied pairs of a ranking with preference strengths: the
    margin sums the strengths' margins of every pair of neighbouring tiers from the winner's down to the loser's.

    `margins` holds one number per tier but the last; a ranking without them (or with a count that
    does not match its tiers) keeps the tier distance.
    """
    if len(margins) != len(tiers) - 1:
        return strict_pairs(tiers)
    reach = list(accumulate(margins, initial=0.0))
    ordered = [sorted(tier) for tier in tiers]
    return [
        (winner, loser, reach[lower] - reach[upper])
        for upper, winners in enumerate(ordered)
        for winner in winners
        for lower in range(upper + 1, len(ordered))
        for loser in ordered[lower]
    ]


def consensus_margins(pairs: list[tuple[int, int, int]], rankings: list[dict]) -> list[tuple]:
    """The consensus's pairs, each with the mean margin of the rankings with strengths that order it the
    same way; a pair none of them orders so (and every pair of a row without strengths) keeps its tier distance.
    """
    measured = [ranking for ranking in rankings if ranking.get("strength_margins")]
    if not measured:
        return pairs
    totals: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0])
    for ranking in measured:
        for winner, loser, margin in strength_pairs(ranking["tiers"], ranking["strength_margins"]):
            total = totals[winner, loser]
            total[0] += margin
            total[1] += 1
    return [
        (winner, loser, total[0] / total[1]) if (total := totals.get((winner, loser))) else (winner, loser, distance)
        for winner, loser, distance in pairs
    ]


def ranking_pairs(ranking: dict) -> list[tuple]:
    """(winner, loser, margin) of one trainer's ranking: its strengths' margins where it has them."""
    if margins := ranking.get("strength_margins"):
        return strength_pairs(ranking["tiers"], margins)
    return preference_pairs(ranking["tiers"])


def row_pairs(row: dict, *, expansion: str) -> list[tuple[int, int, int]]:
    """The preference pairs of a native row under the chosen expansion; none without a prompt.

    A row the length filters went through carries the pairs they kept (`_length_selected`).
    """
    if (selected := row.get("selected_pairs")) is not None:
        return selected
    if not row["prompt"]:
        return []
    if expansion == "individual":
        return [pair for ranking in row["rankings"] for pair in ranking_pairs(ranking)]
    return consensus_margins(preference_pairs(row["consensus"], expansion=expansion), row["rankings"])


def _texts(row: dict) -> dict[int, str]:
    return {candidate["id"]: candidate["text"] for candidate in row["candidates"]}


def _answers(row: dict) -> dict[int, list[dict]]:
    """Each candidate as an assistant turn, built once per row and shared by its pairs' lines."""
    return {candidate["id"]: [{"role": "assistant", "content": candidate["text"]}] for candidate in row["candidates"]}


def _provenance(row: dict) -> dict:
    return {
        "comparison_id": row["comparison_id"],
        "group_id": row["conversation_id"],
        "annotator_count": len(row["rankings"]),
        "agreement": row["agreement"],
        "question": row_question(row),
    }


def _demonstrations(row: dict) -> list[dict]:
    return [continuation for continuation in row["continuations"] if continuation["is_demonstration"]]


def _sampled(row: dict) -> list[dict]:
    """The candidates of the turn that came from a model or an import, not from a trainer."""
    return [candidate for candidate in row["candidates"] if candidate.get("source") != "trainer"]


def demonstration_pairs(row: dict) -> list[tuple[dict, int, int]]:
    """(demonstration, candidate id, margin): each demonstration over each sampled candidate.

    The margin is 1 + the candidate's tier index in the consensus: the demonstration sits one
    tier above the best, so the distance grows as the candidate ranks lower.
    """
    if (selected := row.get("selected_demonstration_pairs")) is not None:
        return selected
    if not row["prompt"]:
        return []
    demonstrations = _demonstrations(row)
    if not demonstrations:
        return []
    consensus = row["consensus"]
    position = {candidate: index for index, tier in enumerate(consensus) for candidate in tier}
    return [
        (demonstration, candidate["id"], 1 + position.get(candidate["id"], len(consensus)))
        for demonstration in demonstrations
        for candidate in _sampled(row)
    ]


def _assistant(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def to_trl(row: dict, *, expansion: str = "consensus", margin: bool = False) -> Iterator[dict]:
    """TRL's conversational preference format with an explicit prompt.

    `provenance` tells a pair of the rankings ("sampled") from a demonstration over a sampled
    candidate ("demonstration"). `margin` is on every row or on none: TRL's reward trainer
    fails on a mix.
    """
    answers, provenance = _answers(row), _provenance(row)
    sampled = {**provenance, "provenance": "sampled"}
    for winner, loser, distance in row_pairs(row, expansion=expansion):
        line = {"prompt": row["prompt"], "chosen": answers[winner], "rejected": answers[loser], **sampled}
        if margin:
            line["margin"] = float(distance)
        yield line
    if row["continuations"]:  # chat only: an imported row skips this at the cost of one lookup
        demonstrated = {**provenance, "provenance": "demonstration"}
        for demonstration, loser, distance in demonstration_pairs(row):
            line = {
                "prompt": row["prompt"],
                "chosen": _assistant(demonstration["text"]),
                "rejected": answers[loser],
                **demonstrated,
            }
            if margin:
                line["margin"] = float(distance)
            yield line


def hh_transcript(messages: list[dict]) -> str:
    """Anthropic HH-RLHF text: `\\n\\nHuman: …\\n\\nAssistant: …`.

    HH has no system role: a system prompt is kept as the preamble before the first
    Human turn, which is where HH-style transcripts put instructions.
    """
    parts = []
    for message in messages:
        if message["role"] == "system":
            parts.append(message["content"])
        else:
            speaker = "Human" if message["role"] == "user" else "Assistant"
            parts.append(f"\n\n{speaker}: {message['content']}")
    return "".join(parts)


def to_hh(row: dict, *, expansion: str = "consensus", **_) -> Iterator[dict]:
    texts, provenance = _texts(row), _provenance(row)
    prefix = hh_transcript(row["prompt"])
    for winner, loser, _distance in row_pairs(row, expansion=expansion):
        yield {
            "chosen": f"{prefix}\n\nAssistant: {texts[winner]}",
            "rejected": f"{prefix}\n\nAssistant: {texts[loser]}",
            **provenance,
        }


def to_openai_dpo(row: dict, *, expansion: str = "consensus", **_) -> Iterator[dict]:
    """OpenAI's preference fine-tuning format (exactly its three keys)."""
    answers = _answers(row)
    for winner, loser, _distance in row_pairs(row, expansion=expansion):
        yield {
            "input": {"messages": row["prompt"]},
            "preferred_output": answers[winner],
            "non_preferred_output": answers[loser],
        }


def to_sft(row: dict, **_) -> Iterator[dict]:
    """The prompt and its one best answer; in chat, the answers the trainer went on with.

    A chat turn gives a line per continuation (the candidate continued with, or a
    demonstration): the conversations along the paths the trainer took. Otherwise an answer a
    trainer wrote wins: trainers write one when the sampled ones fall short. Otherwise the
    single best of the consensus; none when the best is tied or most trainers found nothing
    acceptable.
    """
    if not row["prompt"]:
        return
    harmful = attacked(row)
    if row["project_kind"] == "chat":
        for continuation in row["continuations"]:
            if continuation["is_demonstration"] or continuation["candidate_id"] not in harmful:
                yield {"messages": [*row["prompt"], {"role": "assistant", "content": continuation["text"]}]}
        return
    written = [candidate for candidate in row["candidates"] if candidate.get("source") == "trainer"]
    consensus = row["consensus"]
    if written:
        position = {candidate: index for index, tier in enumerate(consensus) for candidate in tier}
        best = min(reversed(written), key=lambda candidate: position.get(candidate["id"], len(consensus)))["text"]
    elif consensus and len(consensus[0]) == 1 and not row["none_acceptable"] and consensus[0][0] not in harmful:
        best = _texts(row)[consensus[0][0]]
    else:
        return
    yield {"messages": [*row["prompt"], {"role": "assistant", "content": best}]}


def kto_labels(tiers: list[list[int]], *, none_acceptable: bool = False) -> dict[int, bool]:
    """Whether each ranked candidate is desirable: placed above the median of its turn.

    Positions are average ranks (tied candidates share the mean of the places they span); one
    exactly at the median (the middle of an odd K, or a tie across it) gets no label. When most
    trainers found nothing acceptable, every candidate is undesirable.
    """
    ranks = average_ranks(tiers)
    if none_acceptable:
        return dict.fromkeys(ranks, False)
    median = (len(ranks) + 1) / 2
    return {candidate: rank < median for candidate, rank in ranks.items() if rank != median}


def to_kto(row: dict, **_) -> Iterator[dict]:
    """TRL's unpaired preference format: each answer alone, labelled desirable or not.

    Sampled candidates are labelled from the consensus (`kto_labels`), in the order they were
    sampled; a successful attack is always undesirable, a demonstration always desirable.
    """
    if not row["prompt"]:
        return
    answers, provenance = _answers(row), _provenance(row)
    labels = kto_labels(row["consensus"], none_acceptable=row["none_acceptable"])
    labels.update(dict.fromkeys(attacked(row), False))
    for candidate in row["candidates"]:
        if (label := labels.get(candidate["id"])) is not None:
            yield {
                "prompt": row["prompt"],
                "completion": answers[candidate["id"]],
                "label": label,
                **provenance,
                "provenance": "sampled",
            }
    for demonstration in _demonstrations(row):
        yield {
            "prompt": row["prompt"],
            "completion": _assistant(demonstration["text"]),
            "label": True,
            **provenance,
            "provenance": "demonstration",
        }


def to_prompt_only(row: dict, **_) -> Iterator[dict]:
    """TRL's prompt-only format, for online training: the conversation up to the turn, no answer."""
    if row["prompt"]:
        yield {"prompt": row["prompt"]}


def to_native(row: dict, **_) -> Iterator[dict]:
    yield row


def to_ratings(row: dict, **_) -> Iterator[dict]:
    """HelpSteer2's shape: a line per rated candidate, its prompt and response as text, and a column per
    rubric attribute holding the mean of the trainers' ratings (with `raters`, how many rated it).

    `prompt` is the last user message, as HelpSteer2 holds it; `conversation` is the whole prefix.
    Every line has a column for each attribute of the project's rubric (null where nobody rated it:
    an optional attribute), so that a file loads as one table; an attribute rated under an earlier
    rubric follows them.
    """
    if not row["prompt"]:
        return
    given: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    raters: dict[int, int] = defaultdict(int)
    for ranking in row["rankings"]:
        for candidate, values in (ranking.get("ratings") or {}).items():
            raters[int(candidate)] += 1
            for key, value in values.items():
                given[int(candidate)][key].append(value)
    if not given:
        return
    rubric = row.get("rubric_attributes") or []
    attributes = rubric + sorted({key for values in given.values() for key in values} - set(rubric))
    prompt = next((message["content"] for message in reversed(row["prompt"]) if message["role"] == "user"), "")
    for candidate in row["candidates"]:
        rated = given.get(candidate["id"])
        if not rated:
            continue
        yield {
            "prompt": prompt,
            "response": candidate["text"],
            **{key: sum(rated[key]) / len(rated[key]) if rated.get(key) else None for key in attributes},
            "raters": raters[candidate["id"]],
            "conversation": row["prompt"],
            "comparison_id": row["comparison_id"],
            "candidate_id": candidate["id"],
            "model": candidate.get("model"),
        }


def to_redteam_pairs(row: dict, **_) -> Iterator[dict]:
    """Adversarial pairs: each safe answer to a successful attack, chosen over the harmful candidate.

    TRL's conversational preference format, as `trl` writes it, with the attack's harm
    categories and tactics (every trainer's marks on that candidate) and where the safe answer
    came from (`written`, or `candidate` when picked from the comparison's candidates).
    """
    if not row["prompt"] or not row.get("safe_answers"):
        return
    texts, provenance = _texts(row), _provenance(row)
    marks: dict[str, list[dict]] = defaultdict(list)
    for ranking in row["rankings"]:
        for candidate, attack in ranking.get("attacks", {}).items():
            marks[candidate].append(attack)
    for answer in row["safe_answers"]:
        harmful = answer["harmful_candidate_id"]
        if harmful not in texts:
            continue
        attacks = marks.get(str(harmful), [])
        yield {
            "prompt": row["prompt"],
            "chosen": _assistant(answer["text"]),
            "rejected": _assistant(texts[harmful]),
            **provenance,
            "provenance": "red_team",
            "harm_categories": sorted({attack["category"] for attack in attacks}),
            "tactics": sorted({attack["tactic"] for attack in attacks}),
            "safe_answer_source": "candidate" if answer["from_candidate_id"] is not None else "written",
        }


def to_moderation_feedback(row: dict, **_) -> Iterator[dict]:
    """One line per reviewed verdict of the row: the text, the filter's verdict, the trainers' judgements.

    `human_flagged`: more than half of the reviews find the text harmful (they confirm a
    flagged verdict, or say it missed something). `human_categories`: the filter's categories
    that most reviewers did not call harmless, and those most said it missed.
    """
    texts = _texts(row)
    prompt = dict(zip(row["prompt_message_ids"], row["prompt"], strict=True))
    for verdict in row.get("moderation", []):
        reviews = verdict["reviews"]
        if not reviews:
            continue
        if verdict["candidate_id"] is not None:
            # A candidate left out by the `endpoint` filter takes its verdict with it.
            if verdict["candidate_id"] not in texts:
                continue
            source, text = "candidate", texts[verdict["candidate_id"]]
        else:
            if verdict["message_id"] not in prompt:
                continue
            source, text = "message", prompt[verdict["message_id"]]["content"]
        harmful = sum(
            1
            for review in reviews
            if review["judgement"] == "false_negative" or (review["judgement"] == "confirmed" and verdict["flagged"])
        )
        harmless_votes = sum(1 for review in reviews if review["judgement"] == "false_positive")
        missed = defaultdict(int)
        for review in reviews:
            if review["judgement"] == "false_negative":
                missed[review["category"]] += 1
        kept = [] if harmless_votes * 2 > len(reviews) else verdict["harm_categories"]
        yield {
            "text": text,
            "source": source,
            "project": row["project"],
            "comparison_id": row["comparison_id"],
            "candidate_id": verdict["candidate_id"],
            "message_id": verdict["message_id"],
            "verdict_id": verdict["verdict_id"],
            "filter": {
                "flagged": verdict["flagged"],
                "categories": verdict["categories"],
                "harm_categories": verdict["harm_categories"],
                "scores": verdict["scores"],
                "model": verdict["model"],
            },
            "human": reviews,
            "human_flagged": harmful * 2 > len(reviews),
            "human_categories": sorted(
                set(kept) | {category for category, votes in missed.items() if votes * 2 > len(reviews)}
            ),
        }


def _node(*, message_id: int | None, parent_id: int | None, role: str, text: str, **known) -> dict:
    """A node of the tree; every node has every key, so a loader infers one schema at every depth.

    What the rows at hand do not tell is null: a message reached only as part of a later turn's
    prompt has no `comparison_id` or `is_demonstration` in this tree, though another pull's may.
    """
    return {
        "message_id": message_id,
        "parent_id": parent_id,
        "role": role,
        "text": text,
        "comparison_id": None,
        "candidate_id": None,
        "model": None,
        "rank": None,
        "is_demonstration": None,
        "edited_from": None,
        "author": None,
        **known,
        "replies": [],
    }


class _Tree:
    """What the rows of one conversation say about its message tree, gathered until all are in."""

    def __init__(self, row: dict) -> None:
        self.header = {
            "conversation_id": row["conversation_id"],
            "project": row["project"],
            "metadata": row["metadata"],
            "rating": row["conversation_rating"],
            "ended_at": row["conversation_ended_at"],
        }
        self.messages: dict[int, tuple[int | None, str, str]] = {}
        self.turns: list[tuple[int, int, list[tuple], list[dict]]] = []

    def add(self, row: dict) -> None:
        ids = row["prompt_message_ids"]
        if not ids:
            return
        parent = None
        for message, message_id in zip(row["prompt"], ids, strict=True):
            self.messages.setdefault(message_id, (parent, message["role"], message["content"]))
            parent = message_id
        rank = {candidate: index for index, tier in enumerate(row["consensus"]) for candidate in tier}
        candidates = [
            (candidate["id"], candidate["text"], candidate.get("model"), rank.get(candidate["id"]))
            for candidate in row["candidates"]
        ]
        self.turns.append((ids[-1], row["comparison_id"], candidates, row["continuations"]))

    def lines(self) -> Iterator[dict]:
        nodes: dict[int, dict] = {}  # by message id
        replies: dict[int, list[dict]] = defaultdict(list)  # by parent message id
        placed: set[int] = set()  # continued candidates: already among their turn's replies
        comparisons: dict[int, int] = {}
        for turn_id, comparison_id, candidates, continuations in self.turns:
            comparisons[turn_id] = comparison_id
            continued = {c["candidate_id"]: c for c in continuations if not c["is_demonstration"]}
            for candidate_id, text, model, rank in candidates:
                node = _node(
                    message_id=None,
                    parent_id=turn_id,
                    role="assistant",
                    text=text,
                    candidate_id=candidate_id,
                    model=model,
                    rank=rank,
                    is_demonstration=False,
                )
                if (continuation := continued.pop(candidate_id, None)) is not None:
                    node.update(message_id=continuation["message_id"], author=continuation["author"])
                    nodes[continuation["message_id"]] = node
                    placed.add(continuation["message_id"])
                replies[turn_id].append(node)
            for continuation in continuations:
                if continuation["is_demonstration"] or continuation["message_id"] not in placed:
                    demonstration = continuation["is_demonstration"]
                    nodes[continuation["message_id"]] = _node(
                        message_id=continuation["message_id"],
                        parent_id=continuation["parent_id"],
                        role="assistant",
                        text=continuation["text"],
                        is_demonstration=demonstration,
                        edited_from=continuation["candidate_id"] if demonstration else None,
                        author=continuation["author"],
                    )
        for message_id, (parent_id, role, text) in self.messages.items():
            if message_id not in nodes:
                nodes[message_id] = _node(
                    message_id=message_id,
                    parent_id=parent_id,
                    role=role,
                    text=text,
                    comparison_id=comparisons.get(message_id),
                )
        roots = []
        for message_id in sorted(nodes):
            node = nodes[message_id]
            if node["parent_id"] is None:
                roots.append(node)
            elif message_id not in placed:
                replies[node["parent_id"]].append(node)
        for message_id, node in nodes.items():
            node["replies"] = replies.get(message_id, [])
        for root in roots:
            yield {"message_tree_id": root["message_id"], **self.header, "prompt": root}


def to_tree(rows: Iterable[dict], **_) -> Iterator[dict]:
    """One line per conversation (per root message) with its message tree, once every row is in.

    Rows come in completion order, not by conversation: this buffers the trees of the whole
    export (or pull) and writes them at its end, a conversation where its first row came.
    """
    trees: dict[str, _Tree] = {}
    for row in rows:
        if (tree := trees.get(row["conversation_id"])) is None:
            tree = trees[row["conversation_id"]] = _Tree(row)
        tree.add(row)
    for tree in trees.values():
        yield from tree.lines()


def to_as_imported(row: dict, *, expansion: str = "consensus", margin: bool = False) -> Iterator[dict]:
    """Each row in the shape its conversation was imported in, with that shape's keys only.

    HH-RLHF pairs, TRL preference (standard or conversational, with or without `prompt`), TRL
    unpaired and ShareGPT rows go back to their source's shape; rows imported as `messages` or
    `prompt`, or whose candidates were sampled for an unanswered prompt, are written as `trl`.
    """
    if "hh_rlhf" in row["metadata"]:
        for line in to_hh(row, expansion=expansion):
            yield {"chosen": line["chosen"], "rejected": line["rejected"]}
        return
    shape = _import_shape(row)
    writer = _SHAPES.get(shape.get("name"))
    if writer is None:
        yield from to_trl(row, expansion=expansion, margin=margin)
    else:
        yield from writer(row, shape, expansion=expansion, margin=margin)


def _import_shape(row: dict) -> dict:
    return row["metadata"].get("import_format") or {}


def _as_trl_preference(row: dict, shape: dict, *, expansion: str, margin: bool) -> Iterator[dict]:
    texts, prompt = _texts(row), row["prompt"]
    for winner, loser, distance in row_pairs(row, expansion=expansion):
        if shape["conversational"]:
            chosen = [{"role": "assistant", "content": texts[winner]}]
            rejected = [{"role": "assistant", "content": texts[loser]}]
            line = (
                {"prompt": prompt, "chosen": chosen, "rejected": rejected}
                if shape["explicit_prompt"]
                else {"chosen": [*prompt, *chosen], "rejected": [*prompt, *rejected]}
            )
        else:
            text = prompt[-1]["content"]
            line = (
                {"prompt": text, "chosen": texts[winner], "rejected": texts[loser]}
                if shape["explicit_prompt"]
                else {"chosen": text + texts[winner], "rejected": text + texts[loser]}
            )
        if margin:
            line["margin"] = float(distance)
        yield line


def _as_trl_unpaired(row: dict, shape: dict, **_) -> Iterator[dict]:
    """A line per candidate; `label` is whether it is among the consensus's best (none, if none is acceptable)."""
    if not row["prompt"] or not row["consensus"]:
        return
    best = set() if row["none_acceptable"] else set(row["consensus"][0])
    prompt = row["prompt"] if shape["conversational"] else row["prompt"][-1]["content"]
    for candidate in row["candidates"]:
        text = candidate["text"]
        completion = [{"role": "assistant", "content": text}] if shape["conversational"] else text
        yield {"prompt": prompt, "completion": completion, "label": candidate["id"] in best}


def _as_sharegpt(row: dict, shape: dict, *, expansion: str, **_) -> Iterator[dict]:
    """ShareGPT turns with the source's speaker names; pairs as `chosen`/`rejected`, or the one best reply."""
    speakers = {"system": "system", "user": "human", "assistant": "gpt", **shape["speakers"]}

    def conversation(messages: list[dict]) -> dict:
        line = {}
        if shape["system_key"] and messages and messages[0]["role"] == "system":
            line["system"], messages = messages[0]["content"], messages[1:]
        line["conversations"] = [{"from": speakers[m["role"]], "value": m["content"]} for m in messages]
        return line

    if not shape["preference"]:
        for line in to_sft(row):
            yield conversation(line["messages"])
        return
    texts, base = _texts(row), conversation(row["prompt"])
    for winner, loser, _distance in row_pairs(row, expansion=expansion):
        reply = speakers["assistant"]
        yield {
            **base,
            "chosen": {"from": reply, "value": texts[winner]},
            "rejected": {"from": reply, "value": texts[loser]},
        }


def _as_open_assistant(row: dict, shape: dict, **_) -> Iterator[dict]:
    """The path from the tree's root to the prompter message, and its replies ranked by the consensus.

    A tree gives one comparison per set of siblings, so one row gives a part of the tree;
    `as_imported_lines` merges the parts of a tree back into one.
    """
    if not row["prompt"] or not row["consensus"]:
        return
    rank = {candidate: position for position, tier in enumerate(row["consensus"]) for candidate in tier}
    children = [
        {
            "message_id": shape["replies"][candidate["index"]],
            "role": "assistant",
            "text": candidate["text"],
            "rank": rank.get(candidate["id"]),
            "replies": [],
        }
        for candidate in row["candidates"]
    ]
    for message, message_id in reversed(list(zip(row["prompt"], shape["path"], strict=True))):
        role = "prompter" if message["role"] == "user" else "assistant"
        children = [{"message_id": message_id, "role": role, "text": message["content"], "replies": children}]
    yield {"message_tree_id": shape["message_tree_id"], "prompt": children[0]}


def as_imported_lines(rows: Iterable[dict], *, expansion: str, margin: bool) -> Iterator[dict]:
    """`to_as_imported` of each row, with the parts of each Open-Assistant tree merged into the whole tree.

    The other shapes stream; a tree is written once every row has been read, as the `tree` format is.
    """
    trees: dict[str, dict] = {}
    for row in rows:
        for line in to_as_imported(row, expansion=expansion, margin=margin):
            if _import_shape(row).get("name") != "open_assistant":
                yield line
            elif (tree := trees.get(line["message_tree_id"])) is None:
                trees[line["message_tree_id"]] = line
            else:
                _merge_message(tree["prompt"], line["prompt"])
    yield from trees.values()


def _merge_message(into: dict, part: dict) -> None:
    """Add to `into` what `part`, the same message of the tree, knows: its rank, its replies."""
    for key, value in part.items():
        if key != "replies":
            into.setdefault(key, value)
    replies = {reply["message_id"]: reply for reply in into["replies"]}
    for reply in part["replies"]:
        if reply["message_id"] in replies:
            _merge_message(replies[reply["message_id"]], reply)
        else:
            into["replies"].append(reply)


_SHAPES = {
    "trl_preference": _as_trl_preference,
    "trl_unpaired": _as_trl_unpaired,
    "sharegpt": _as_sharegpt,
    "open_assistant": _as_open_assistant,
}

CONVERTERS = {
    "native": to_native,
    "trl": to_trl,
    "hh": to_hh,
    "openai_dpo": to_openai_dpo,
    "sft": to_sft,
    "kto": to_kto,
    "prompt_only": to_prompt_only,
    "redteam_pairs": to_redteam_pairs,
    "moderation_feedback": to_moderation_feedback,
    "ratings": to_ratings,
}
# Formats that take every row of the export at once: whole conversations, or trees put back
# together from the parts that the rows hold.
GROUPED = {"tree": to_tree, "as_imported": as_imported_lines}


def convert(row: dict, *, format: str, expansion: str = "consensus", margin: bool = False) -> Iterator[dict]:
    return CONVERTERS[format](row, expansion=expansion, margin=margin)


def keep_row(row: dict, options: ExportOptions) -> bool:
    """Whether a native row passes the export filters (all optional)."""
    rankings = row["rankings"]
    if len(rankings) < options.min_rankings:
        return False
    if (minimum := options.min_agreement) is not None and (row["agreement"] is None or row["agreement"] < minimum):
        return False
    if options.exclude_skipped and row["skips"]:
        return False
    if options.none_acceptable == "leave_out" and row["none_acceptable"]:
        return False
    if flag := options.exclude_flag:
        flagged = sum(1 for ranking in rankings if any(flag in keys for keys in ranking["flags"].values()))
        mode = options.exclude_flag_mode or "any"
        if (mode == "any" and flagged) or (mode == "most" and flagged * 2 > len(rankings)):
            return False
    # ISO text orders as time does, and a day's text sorts before every instant of that day.
    completed = row.get("completed_at") or ""
    if (after := options.completed_after) and completed < after.isoformat():
        return False
    return not ((before := options.completed_before) and completed >= before.isoformat())


def restrict_to_endpoint(row: dict, endpoint: str) -> dict:
    """The row with only the candidates of one endpoint, in every ranking and the consensus."""
    keep = {candidate["id"] for candidate in row["candidates"] if candidate["endpoint"] == endpoint}

    def cut(tiers):
        return [kept for tier in tiers if (kept := [c for c in tier if c in keep])]

    return {
        **row,
        "candidates": [candidate for candidate in row["candidates"] if candidate["id"] in keep],
        "rankings": [_cut_ranking(ranking, keep) for ranking in row["rankings"]],
        "consensus": cut(row["consensus"]),
        # A demonstration stays: it is the trainer's, not any endpoint's.
        "continuations": [
            continuation
            for continuation in row["continuations"]
            if continuation["is_demonstration"] or continuation["candidate_id"] in keep
        ],
        # A safe answer belongs to the endpoint whose answer it replaces.
        "safe_answers": [answer for answer in row.get("safe_answers", []) if answer["harmful_candidate_id"] in keep],
    }


def _cut_ranking(ranking: dict, keep: set[int]) -> dict:
    """A ranking with only the candidates kept; where a tier goes, its neighbours' strengths join
    ("clearly+slightly") and their margins add up, so the pairs left keep their margins.
    """
    kept_tiers, positions = [], []
    for position, tier in enumerate(ranking["tiers"]):
        if kept := [candidate for candidate in tier if candidate in keep]:
            kept_tiers.append(kept)
            positions.append(position)
    cut = {**ranking, "tiers": kept_tiers}
    if (strengths := ranking.get("strengths")) and len(strengths) == len(ranking["tiers"]) - 1:
        reach = list(accumulate(ranking["strength_margins"], initial=0.0))
        cut["strengths"] = ["+".join(strengths[upper:lower]) for upper, lower in pairwise(positions)]
        cut["strength_margins"] = [reach[lower] - reach[upper] for upper, lower in pairwise(positions)]
    return cut


def export_lines(
    rows, *, format: str, options: ExportOptions, selection: PairSelection | None = None
) -> Iterator[dict]:
    """Filter, restrict and convert native rows: the one pipeline of files and the API.

    `selection` is the options' length filters, passed in by a caller that reads what they did.
    """
    kept = _kept(rows, options)
    if format != "native":
        kept = map(oriented, kept)
    selection = selection or PairSelection.for_options(options)
    if selection is not None and format in PAIR_FORMATS:
        kept = _length_selected(kept, format=format, expansion=options.expansion, selection=selection)
    if format in GROUPED:
        yield from GROUPED[format](kept, expansion=options.expansion, margin=options.margin)
        return
    marked = options.none_acceptable == "keep_marked" and format in _MARKABLE
    # With the AI judge's rows in, every line says whose ranking it comes from (native rows say it themselves).
    sourced = bool(options.ai_judgements) and format != "native"
    for row in kept:
        lines = convert(row, format=format, expansion=options.expansion, margin=options.margin)
        if marked:
            lines = ({**line, "none_acceptable": row["none_acceptable"]} for line in lines)
        if sourced:
            lines = ({**line, "source": row.get("source", "human")} for line in lines)
        yield from lines


# The formats whose lines carry provenance beside the pair; native rows always hold `none_acceptable`.
_MARKABLE = ("trl", "hh")


def _kept(rows, options: ExportOptions) -> Iterator[dict]:
    filtered = bool(options.filters())
    for row in rows:
        if filtered and not keep_row(row, options):
            continue
        if options.endpoint:
            row = restrict_to_endpoint(row, options.endpoint)
        yield row


def _length_selected(rows, *, format: str, expansion: str, selection: PairSelection) -> Iterator[dict]:
    """Rows that hold only the pairs the length filters let through, as they let them through.

    A pair held back by the balance comes out later, in a copy of its row that holds it alone
    (with any other pairs of that row released with it), so a comparison's lines may be apart.
    """
    for row in rows:
        ranked, demonstrated = _written_pairs(row, format)
        if not ranked:
            yield row
            continue
        written = selection.select(
            _pairs_with_lengths(row, format=format, expansion=expansion, demonstrated=demonstrated)
        )
        if written:
            yield from _rows_holding(written)
    selection.finish()


def _pairs_with_lengths(row: dict, *, format: str, expansion: str, demonstrated: bool) -> list[tuple]:
    """((row, key, pair), chosen length, rejected length) for each pair the format would write of the row, in order."""
    lengths = {candidate["id"]: len(candidate["text"]) for candidate in row["candidates"]}
    if format == "redteam_pairs":
        return [
            ((row, "safe_answers", answer), len(answer["text"]), lengths[answer["harmful_candidate_id"]])
            for answer in row.get("safe_answers", [])
            if answer["harmful_candidate_id"] in lengths
        ]
    pairs = [
        ((row, "selected_pairs", pair), lengths[pair[0]], lengths[pair[1]])
        for pair in row_pairs(row, expansion=expansion)
    ]
    if demonstrated and row["continuations"]:
        pairs += [
            ((row, "selected_demonstration_pairs", pair), len(pair[0]["text"]), lengths[pair[1]])
            for pair in demonstration_pairs(row)
        ]
    return pairs


def _rows_holding(written: list[tuple]) -> Iterator[dict]:
    """One copy of each row that has pairs among those written, holding those pairs alone, in order of first pair."""
    holding: dict[int, tuple[dict, dict]] = {}
    for row, key, pair in written:
        if (entry := holding.get(id(row))) is None:
            entry = holding[id(row)] = (
                row,
                {"selected_pairs": [], "selected_demonstration_pairs": [], "safe_answers": []},
            )
        entry[1][key].append(pair)
    for row, held in holding.values():
        yield {**row, **held}


def _written_pairs(row: dict, format: str) -> tuple[bool, bool]:
    """Whether the format writes pairs of the row's rankings (or red-team pairs), and demonstration pairs."""
    if not row["prompt"]:
        return False, False
    if format != "as_imported":
        return True, format == "trl"
    if "hh_rlhf" in row["metadata"]:
        return True, False
    shape = _import_shape(row)
    name = shape.get("name")
    if name not in _SHAPES:  # written as trl
        return True, True
    return name == "trl_preference" or (name == "sharegpt" and shape["preference"]), False
