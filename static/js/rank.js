// The ranking screen: the cards (static/js/rank-list.js) with the trainer's flags and attacks,
// the rationale, submission by htmx, and the page's keyboard shortcuts.
(function () {
  "use strict";

  const say = window.RankList.say;

  function typing(target) {
    return target.closest("textarea, input[type=text], select");
  }

  // Flags and attacks are the ranking screen's own: counted on the card and in its label.
  function describe(card) {
    const flagged = card.querySelectorAll(".flags input:checked").length;
    const attack = card.querySelector(".attack-toggle");
    const count = card.querySelector(".flag-count");
    count.hidden = flagged === 0;
    count.textContent = flagged === 1 ? "1 flag" : flagged + " flags";
    const words = [];
    if (flagged) words.push(count.textContent);
    if (attack && attack.checked) words.push("attack succeeded");
    return words.join(", ");
  }

  function cardKey(card, event) {
    if (event.target !== card) {
      if (event.key !== "Escape") return false;
      card.querySelector(".flags").open = false;
      card.focus();
      return true;
    }
    const letter = card.dataset.letter;
    if (event.key === "f") {
      const flags = card.querySelector(".flags");
      flags.open = true;
      flags.querySelector("input").focus();
      say("Flags of candidate " + letter + ". Space toggles a flag, Escape returns to the card.");
      return true;
    }
    if (event.key === "a" && card.querySelector(".attack-toggle")) {
      card.querySelector(".attack-toggle").focus();
      say("Attack of candidate " + letter + ". Space marks it, Tab goes to its harm category and tactic.");
      return true;
    }
    return false;
  }

  // The guidelines sit beside the cards where the window is wide enough, folded away elsewhere.
  const wideScreen = window.matchMedia("(min-width: 1600px)");
  function placeGuidelines() {
    const panel = document.querySelector(".guidelines-panel");
    if (panel) panel.open = wideScreen.matches;
  }
  wideScreen.addEventListener("change", placeGuidelines);

  function setUp(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    const list = form.querySelector("#cards");
    const tiersInput = form.querySelector("input[name=tiers]");
    const durationInput = form.querySelector("input[name=duration_ms]");
    // A refused submission comes back with the time already spent; keep counting from there.
    const spentBefore = Number(durationInput.value) || 0;
    const started = performance.now();

    // The chat page shows its conversation outside the form.
    const conversation = form.querySelector(".conversation");
    if (conversation) window.RankList.foldTurns(conversation);

    const ranking = window.RankList.create(list, {
      tiesAllowed: form.dataset.tiesAllowed === "1",
      describe,
      onChange: (tiers) => { tiersInput.value = JSON.stringify(tiers); },
      onCardKey: cardKey,
    });

    // Choosing a harm category or tactic marks the attack; unmarking it clears them.
    list.addEventListener("change", (event) => {
      const fieldset = event.target.closest(".attack");
      if (fieldset) {
        const toggle = fieldset.querySelector(".attack-toggle");
        if (event.target.tagName === "SELECT" && event.target.value) toggle.checked = true;
        if (event.target === toggle && !toggle.checked) fieldset.querySelectorAll("select").forEach((s) => { s.value = ""; });
        // Announced on change, not on the key: a checkbox toggles on the key's release.
        if (event.target === toggle) {
          const card = toggle.closest(".cand");
          say(toggle.checked
            ? "Attack marked on candidate " + card.dataset.letter + ". Tab to its harm category and tactic."
            : "Attack unmarked on candidate " + card.dataset.letter + ".");
        }
      }
      ranking.refresh();
    });

    // Capture phase: this must run before htmx's own submit handler reads the form.
    form.addEventListener("submit", () => {
      ranking.refresh();
      durationInput.value = String(Math.round(spentBefore + performance.now() - started));
    }, true);

    const first = ranking.cards()[0];
    if (first && !form.querySelector(".confirm")) first.focus({ preventScroll: true });
  }

  document.addEventListener("keydown", (event) => {
    const form = document.getElementById("rank-form");
    const dialog = document.getElementById("shortcuts");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(event.target) && form) {
      const card = form.querySelector(".cand");
      if (card) { event.preventDefault(); card.focus(); }
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.altKey || event.metaKey || dialog.open) return;
    if (event.key === "?") { event.preventDefault(); dialog.showModal(); return; }
    if (!form) return;
    if (event.key === "r") { event.preventDefault(); form.querySelector("#rationale").focus(); }
    else if (event.key === "n") {
      const none = form.querySelector("input[name=none_acceptable]");
      none.checked = !none.checked;
      say(none.checked ? "Marked: none of these is acceptable." : "Unmarked: none of these is acceptable.");
    } else if (event.key === "x" && document.getElementById("skip-reason")) {
      event.preventDefault();
      document.getElementById("skip-reason").focus();
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("#shortcuts-button")) document.getElementById("shortcuts").showModal();
  });

  function start(root) {
    const form = root.id === "rank-form" ? root : root.querySelector && root.querySelector("#rank-form");
    if (form) setUp(form);
  }

  // A judgement of the filter's verdict comes back as the verdict alone: keep the focus on the
  // button that was pressed (it was replaced) and say what was saved.
  function verdictSwapped(verdict) {
    const pressed = verdict.querySelector("button[aria-pressed=true]") || verdict.querySelector("button");
    if (pressed) pressed.focus();
    const outcome = verdict.querySelector("[role=alert], [role=status]");
    if (outcome) say(outcome.textContent);
  }

  // htmx announces every piece of content it swaps in; the first page load is started here.
  document.addEventListener("htmx:load", (event) => {
    const elt = event.detail.elt;
    if (elt.classList && elt.classList.contains("verdict")) verdictSwapped(elt);
    else start(elt);
  });
  document.addEventListener("DOMContentLoaded", () => { placeGuidelines(); start(document); });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "rank-area") return;
    const note = document.querySelector("#rank-area .message");
    const next = document.getElementById("rank-form") ? "Next comparison loaded." : "Nothing left to rank.";
    say((note ? note.textContent + " " : "") + next);
  });
})();
