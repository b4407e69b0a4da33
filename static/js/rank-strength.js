// Preference strength on the ranking screen: for each rank and the next, one radio group
// (slightly / clearly / much better), rebuilt whenever the card list (rank-list.js) changes
// its order or ties. A choice belongs to its two tiers: moved apart and back together, they
// get it back; tiers that were never neighbours start unanswered.
(function () {
  "use strict";

  const say = (text) => window.RankList.say(text);
  // By section: the choices made, keyed by the two tiers, and the tiers last shown.
  const state = new WeakMap();

  function pairKey(upper, lower) {
    const ids = (tier) => tier.slice().sort((a, b) => a - b).join(",");
    return ids(upper) + ">" + ids(lower);
  }

  function tierName(list, tier) {
    const letters = tier
      .map((id) => list.querySelector('.cand[data-id="' + id + '"]').dataset.letter)
      .sort();
    if (letters.length === 1) return "Candidate " + letters[0];
    return "Candidates " + letters.slice(0, -1).join(", ") + " and " + letters[letters.length - 1];
  }

  function render(section, list, tiers) {
    const own = state.get(section);
    const pairs = section.querySelector(".strength-pairs");
    const choices = section.querySelector("#strength-choices");
    const comparative = section.dataset.comparative;
    pairs.replaceChildren();
    for (let index = 0; index + 1 < tiers.length; index += 1) {
      const key = pairKey(tiers[index], tiers[index + 1]);
      const upper = "rank " + (index + 1) + " (" + tierName(list, tiers[index]) + ")";
      const lower = "rank " + (index + 2) + " (" + tierName(list, tiers[index + 1]) + ")";
      const fieldset = document.createElement("fieldset");
      fieldset.className = "strength";
      fieldset.dataset.pair = key;
      fieldset.dataset.upper = upper;
      fieldset.dataset.lower = lower;
      const legend = document.createElement("legend");
      legend.textContent = "How much " + comparative + " is " + upper + " than " + lower + "?";
      fieldset.appendChild(legend);
      fieldset.appendChild(choices.content.cloneNode(true));
      fieldset.querySelectorAll("input").forEach((input) => {
        input.name = "strength-" + index;
        input.checked = own.chosen.get(key) === input.value;
      });
      pairs.appendChild(fieldset);
    }
    section.hidden = tiers.length < 2;
  }

  document.addEventListener("ranklist:change", (event) => {
    const list = event.target;
    const form = list.closest("form");
    const section = form && form.querySelector("#strengths");
    if (!section) return;
    const tiers = event.detail.tiers;
    const shape = JSON.stringify(tiers.map((tier) => tier.slice().sort((a, b) => a - b)));
    let own = state.get(section);
    if (!own) {
      // The first arrangement is the one the server rendered: its answers are those sent back.
      own = { chosen: new Map(), shape: "" };
      state.set(section, own);
      section.dataset.chosen.split(",").forEach((value, index) => {
        if (value && index + 1 < tiers.length) own.chosen.set(pairKey(tiers[index], tiers[index + 1]), value);
      });
      section.addEventListener("change", (change) => {
        const input = change.target;
        if (input.type !== "radio") return;
        const fieldset = input.closest("fieldset");
        own.chosen.set(fieldset.dataset.pair, input.value);
        const said = input.parentElement.textContent.trim().toLowerCase();
        const upper = fieldset.dataset.upper;
        say(upper.charAt(0).toUpperCase() + upper.slice(1) + " " + said + " than " + fieldset.dataset.lower + ".");
      });
    }
    // A flag or an attack refreshes the list too: leave the questions (and the focus) alone then.
    if (own.shape === shape) return;
    own.shape = shape;
    render(section, list, tiers);
  });

  document.addEventListener("keydown", (event) => {
    const section = document.getElementById("strengths");
    if (!section || event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.key === "Escape" && section.contains(event.target)) {
      const card = document.querySelector("#cards .cand");
      if (card) { event.preventDefault(); card.focus(); }
      return;
    }
    if (event.key !== "s" || event.target.closest("textarea, input[type=text], select, dialog[open]")) return;
    const groups = Array.from(section.querySelectorAll("fieldset.strength"));
    if (!groups.length) return;
    event.preventDefault();
    const open = groups.find((group) => !group.querySelector("input:checked")) || groups[0];
    const target = open.querySelector("input:checked") || open.querySelector("input");
    target.focus();
    say(open.querySelector("legend").textContent + " Arrow keys choose, Escape returns to the cards.");
  });
})();
