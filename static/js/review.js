// The lead's review of one comparison: the ruling is the ranking screen's own card list
// (static/js/rank-list.js); long conversation turns fold like on the ranking screen.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("ruling-form");
    if (!form) return;
    const tiersInput = form.querySelector("input[name=tiers]");
    window.RankList.create(form.querySelector("#ruling-cards"), {
      tiesAllowed: true,
      onChange: (tiers) => { tiersInput.value = JSON.stringify(tiers); },
    });

    window.RankList.foldTurns(document.querySelector(".conversation-review"));

    document.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  });
})();
