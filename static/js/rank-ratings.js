// The ranking screen's ratings (templates/rankings/_ratings.html): a rubric attribute per radio
// group on each card. Arrow keys move within a group as in any radio group; a digit picks that
// value; every rating is announced with its candidate.
(function () {
  "use strict";

  function announce(input) {
    const group = input.closest(".rating");
    const card = input.closest(".cand");
    window.RankList.say("Candidate " + card.dataset.letter + ": " + group.dataset.label + " " + input.value + ".");
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches(".rating input[type=radio]")) announce(event.target);
  });

  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches(".rating input[type=radio]")) return;
    if (!/^-?[0-9]$/.test(event.key) || event.ctrlKey || event.altKey || event.metaKey) return;
    const choice = input.closest(".rating").querySelector("input[value='" + event.key + "']");
    if (!choice) return;
    event.preventDefault();
    event.stopPropagation();
    choice.checked = true;
    choice.focus();
    choice.dispatchEvent(new Event("change", { bubbles: true }));
  }, true);
})();
