// The ranking screen: drag (SortableJS) or keyboard, ties as "tied with the card above",
// ranks always shown, every change announced to screen readers.
(function () {
  "use strict";

  const announcer = () => document.getElementById("announcer");

  function say(text) {
    const region = announcer();
    if (!region) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 30);
  }

  function typing(target) {
    return target.closest("textarea, input[type=text], select");
  }

  function setUp(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    const list = form.querySelector("#cards");
    const tiersInput = form.querySelector("input[name=tiers]");
    const durationInput = form.querySelector("input[name=duration_ms]");
    const tiesAllowed = form.dataset.tiesAllowed === "1";
    // A refused submission comes back with the time already spent; keep counting from there.
    const spentBefore = Number(durationInput.value) || 0;
    const started = performance.now();

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
        const flagged = card.querySelectorAll(".flags input:checked").length;
        const attack = card.querySelector(".attack-toggle");
        const attacked = attack && attack.checked;
        const count = card.querySelector(".flag-count");
        count.hidden = flagged === 0;
        count.textContent = flagged === 1 ? "1 flag" : flagged + " flags";
        card.setAttribute(
          "aria-label",
          "Candidate " + letter(card) + ", rank " + rank + (tied ? ", tied with the card above" : "") +
            (flagged ? ", " + count.textContent : "") + (attacked ? ", attack succeeded" : "")
        );
      });
      tiersInput.value = JSON.stringify(tiers());
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

    cards().forEach((card) => {
      const text = card.querySelector(".cand-text");
      if (text.scrollHeight > text.clientHeight + 4) card.querySelector(".expand").hidden = false;
    });
    form.querySelectorAll(".turn").forEach((turn) => {
      const text = turn.querySelector(".turn-text");
      if (text.scrollHeight > text.clientHeight + 4) turn.querySelector(".expand").hidden = false;
      else text.classList.remove("collapsed");
    });
    // The chat page shows its conversation outside the form.
    const conversation = form.querySelector(".conversation");
    if (conversation) conversation.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action=expand-turn]");
      if (!button) return;
      const collapsed = button.closest(".turn").querySelector(".turn-text").classList.toggle("collapsed");
      button.textContent = collapsed ? "Show all" : "Show less";
    });

    window.Sortable.create(list, {
      animation: 120,
      forceFallback: true,
      // Not from a text while the trainer selects personal data in it (static/js/pii.js).
      filter: "input, label, summary, button, a, select, mark, body.pii-selecting .cand-text",
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
            ? "Attack marked on candidate " + letter(card) + ". Tab to its harm category and tactic."
            : "Attack unmarked on candidate " + letter(card) + ".");
        }
      }
      refresh();
    });

    list.addEventListener("keydown", (event) => {
      const card = event.target.closest(".cand");
      if (!card) return;
      if (event.target !== card) {
        if (event.key === "Escape") { event.preventDefault(); card.querySelector(".flags").open = false; card.focus(); }
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
      else if (key === "f") {
        const flags = card.querySelector(".flags");
        flags.open = true;
        flags.querySelector("input").focus();
        say("Flags of candidate " + letter(card) + ". Space toggles a flag, Escape returns to the card.");
      } else if (key === "a" && card.querySelector(".attack-toggle")) {
        card.querySelector(".attack-toggle").focus();
        say("Attack of candidate " + letter(card) + ". Space marks it, Tab goes to its harm category and tactic.");
      } else handled = false;
      if (handled) event.preventDefault();
    });

    // Capture phase: this must run before htmx's own submit handler reads the form.
    form.addEventListener("submit", () => {
      refresh();
      durationInput.value = String(Math.round(spentBefore + performance.now() - started));
    }, true);

    refresh();
    const first = cards()[0];
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
  document.addEventListener("DOMContentLoaded", () => start(document));
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "rank-area") return;
    const note = document.querySelector("#rank-area .message");
    const next = document.getElementById("rank-form") ? "Next comparison loaded." : "Nothing left to rank.";
    say((note ? note.textContent + " " : "") + next);
  });
})();
