// A list of candidate cards put in order by drag (SortableJS) or keyboard, ties as "tied with
// the card above", ranks always shown, every change announced to screen readers. The trainer's
// ranking screen (rank.js) and the lead's ruling on the review page (review.js) both use it.
window.RankList = (function () {
  "use strict";

  function say(text) {
    const region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 30);
  }

  // A collapsed text offers "Show all" only when something is hidden.
  function offerExpand(container, textSelector) {
    const text = container.querySelector(textSelector);
    const button = container.querySelector(".expand");
    if (!text || !button) return false;
    const clipped = text.scrollHeight > text.clientHeight + 4;
    button.hidden = !clipped;
    return clipped;
  }

  // Long conversation turns fold too, each with its own "Show all".
  function foldTurns(container) {
    container.querySelectorAll(".turn").forEach((turn) => {
      if (!offerExpand(turn, ".turn-text")) turn.querySelector(".turn-text").classList.remove("collapsed");
    });
    container.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action=expand-turn]");
      if (!button) return;
      const collapsed = button.closest(".turn").querySelector(".turn-text").classList.toggle("collapsed");
      button.textContent = collapsed ? "Show all" : "Show less";
    });
  }

  // options: tiesAllowed; describe(card) → extra words for the card's label (and a place to
  // update its badges); onChange(tiers); onCardKey(card, event) → true when it handled the key.
  function create(list, options) {
    const tiesAllowed = Boolean(options.tiesAllowed);
    const describe = options.describe || (() => "");
    const onChange = options.onChange || (() => {});
    const onCardKey = options.onCardKey || (() => false);

    const cards = () => Array.from(list.querySelectorAll(".cand"));
    const letter = (card) => card.dataset.letter;

    function tiers() {
      const result = [];
      cards().forEach((card, index) => {
        const id = Number(card.dataset.id);
        if (index > 0 && card.dataset.tied === "1") result[result.length - 1].push(id);
        else result.push([id]);
      });
      return result;
    }

    function rankOf(card) {
      let rank = 0;
      for (const other of cards()) {
        if (other.dataset.tied !== "1" || rank === 0) rank += 1;
        if (other === card) return rank;
      }
      return rank;
    }

    function refresh() {
      let rank = 0;
      cards().forEach((card, index) => {
        if (index === 0) card.dataset.tied = "0";
        const tied = card.dataset.tied === "1";
        if (!tied) rank += 1;
        card.classList.toggle("tied", tied);
        card.querySelector(".rank-num").textContent = String(rank);
        const tie = card.querySelector(".tie-toggle");
        if (tie) {
          tie.hidden = index === 0;
          tie.textContent = tied ? "Untie from the card above" : "Tie with the card above";
          tie.setAttribute("aria-pressed", tied ? "true" : "false");
        }
        const extra = describe(card);
        card.setAttribute(
          "aria-label",
          "Candidate " + letter(card) + ", rank " + rank + (tied ? ", tied with the card above" : "") +
            (extra ? ", " + extra : "")
        );
      });
      const current = tiers();
      onChange(current);
      // Page parts of their own (rank-strength.js) follow the order without the page script knowing them.
      list.dispatchEvent(new CustomEvent("ranklist:change", { bubbles: true, detail: { tiers: current } }));
    }

    function moveTo(card, position) {
      const all = cards();
      const target = Math.max(0, Math.min(all.length - 1, position));
      card.dataset.tied = "0";
      const rest = all.filter((other) => other !== card);
      if (target >= rest.length) list.appendChild(card);
      else list.insertBefore(card, rest[target]);
      refresh();
      card.focus();
      say("Candidate " + letter(card) + " moved to position " + (target + 1) + ", rank " + rankOf(card) + ".");
    }

    function toggleTie(card) {
      if (!tiesAllowed) return;
      const index = cards().indexOf(card);
      if (index === 0) { say("The first card has no card above to tie with."); return; }
      card.dataset.tied = card.dataset.tied === "1" ? "0" : "1";
      refresh();
      const above = cards()[index - 1];
      say(card.dataset.tied === "1"
        ? "Candidate " + letter(card) + " tied with candidate " + letter(above) + " at rank " + rankOf(card) + "."
        : "Candidate " + letter(card) + " untied, now rank " + rankOf(card) + ".");
    }

    function toggleExpand(card) {
      const text = card.querySelector(".cand-text");
      const collapsed = text.classList.toggle("collapsed");
      const button = card.querySelector(".expand");
      button.textContent = collapsed ? "Show all" : "Show less";
      say("Candidate " + letter(card) + (collapsed ? " collapsed." : " expanded."));
    }

    cards().forEach((card) => offerExpand(card, ".cand-text"));

    window.Sortable.create(list, {
      animation: 120,
      forceFallback: true,
      // The page scrolls while a card is held near the window's edge, so a card can travel
      // past what fits on screen.
      scroll: true,
      bubbleScroll: true,
      scrollSensitivity: 90,
      scrollSpeed: 14,
      // Not from a control, nor from a text while the trainer selects personal data in it (static/js/pii.js).
      filter: "input, label, summary, button, a, select, textarea, mark, body.pii-selecting .cand-text",
      preventOnFilter: false,
      onEnd(event) {
        event.item.dataset.tied = "0";
        refresh();
        say("Candidate " + letter(event.item) + " moved to position " + (event.newIndex + 1) + ".");
      },
    });

    list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      const card = button.closest(".cand");
      if (button.dataset.action === "tie") toggleTie(card);
      if (button.dataset.action === "expand") toggleExpand(card);
    });

    list.addEventListener("keydown", (event) => {
      const card = event.target.closest(".cand");
      if (!card) return;
      if (event.target !== card) {
        if (onCardKey(card, event)) event.preventDefault();
        return;
      }
      const all = cards();
      const index = all.indexOf(card);
      const key = event.key;
      let handled = true;
      if ((key === "ArrowDown" && event.shiftKey) || key === "J") moveTo(card, index + 1);
      else if ((key === "ArrowUp" && event.shiftKey) || key === "K") moveTo(card, index - 1);
      else if (key === "ArrowDown" || key === "j") (all[index + 1] || card).focus();
      else if (key === "ArrowUp" || key === "k") (all[index - 1] || card).focus();
      else if (/^[1-9]$/.test(key) && !event.ctrlKey && !event.altKey) moveTo(card, Number(key) - 1);
      else if (key === "t") toggleTie(card);
      else if (key === "e") toggleExpand(card);
      else handled = onCardKey(card, event);
      if (handled) event.preventDefault();
    });

    refresh();
    return { cards, tiers, refresh, letter };
  }

  return { create, say, foldTurns };
})();
