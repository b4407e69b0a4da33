// Personal data on the ranking screen: a highlighted span is confirmed or dismissed from a dialog,
// a missed one is marked by selecting it and pressing "Mark personal data". Either on a candidate
// suggests its "contains personal data" flag; ticking that flag on a card without a mark asks for one.
(function () {
  "use strict";

  const FLAG = "personal_data";
  let lastSelection = null;
  let current = null;

  const dialog = () => document.getElementById("pii-dialog");
  const markButton = () => document.getElementById("pii-mark-button");

  function say(text) {
    const region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 30);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      body: new URLSearchParams(fields),
      credentials: "same-origin",
    });
    let answer = {};
    try { answer = await response.json(); } catch (error) { answer = {}; }
    if (!response.ok || !answer.ok) throw new Error(answer.error || "The server did not accept it; reload the page.");
    return answer;
  }

  function suggestFlag(inside) {
    const card = inside && inside.closest(".cand");
    if (!card) return;
    const box = card.querySelector(`input[type=checkbox][value="${FLAG}"]`);
    if (box && !box.checked) {
      box.checked = true;
      say(`Candidate ${card.dataset.letter} flagged as containing personal data.`);
    }
  }

  function showError(text) {
    const error = document.getElementById("pii-dialog-error");
    error.textContent = text;
    error.hidden = !text;
  }

  function open(mode, text) {
    const box = dialog();
    if (!box) return;
    document.getElementById("pii-decide").hidden = mode !== "decide";
    document.getElementById("pii-mark").hidden = mode !== "mark";
    document.getElementById("pii-dialog-text").textContent = text;
    showError("");
    box.showModal();
  }

  function openSpan(mark) {
    current = { mode: "decide", mark };
    open("decide", `“${mark.textContent}”: ${mark.title}`);
  }

  // The selection, if it lies inside one text of the screen.
  function selectionInText() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    const range = selection.getRangeAt(0);
    const start = range.startContainer.parentElement && range.startContainer.parentElement.closest("[data-pii-target]");
    const end = range.endContainer.parentElement && range.endContainer.parentElement.closest("[data-pii-target]");
    const value = selection.toString();
    if (!start || start !== end || !value.trim()) return null;
    return { target: start, range: range.cloneRange(), value };
  }

  document.addEventListener("selectionchange", () => {
    const found = selectionInText();
    lastSelection = found;
  });

  // While selecting, dragging a card from its text would move the card instead (see rank.js).
  function selecting(on) {
    document.body.classList.toggle("pii-selecting", on);
    const button = markButton();
    if (button) button.textContent = on ? "Select the text, then press here" : "Mark personal data";
    if (on) say("Select the personal data in a text with the mouse, then press the button again.");
  }

  document.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.pii");
    if (mark) {
      event.preventDefault();
      openSpan(mark);
      return;
    }
    if (event.target.closest("#pii-mark-button")) {
      const found = selectionInText() || lastSelection;
      if (!found) {
        selecting(!document.body.classList.contains("pii-selecting"));
        return;
      }
      current = { mode: "mark", ...found };
      open("mark", `“${found.value}”`);
      return;
    }
    const decision = event.target.closest("#pii-decide [data-decision]");
    if (decision && current && current.mode === "decide") decide(decision.dataset.decision);
    if (event.target.closest("#pii-mark-save") && current && current.mode === "mark") markSelection();
  });

  document.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest("mark.pii");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      event.stopPropagation();
      openSpan(mark);
    }
  }, true);

  async function decide(decision) {
    const { mark } = current;
    const url = markButton().dataset.decideUrl.replace(/\/0\/$/, `/${Number(mark.dataset.span)}/`);
    try {
      await post(url, { decision });
    } catch (error) {
      showError(error.message);
      return;
    }
    dialog().close();
    if (decision === "dismiss") {
      say("Dismissed: not personal data.");
      mark.replaceWith(document.createTextNode(mark.textContent));
    } else {
      mark.className = "pii pii-confirmed";
      mark.title = mark.title.replace(/\(\w+\)$/, "(confirmed)");
      say("Confirmed as personal data.");
      suggestFlag(mark);
    }
  }

  async function markSelection() {
    const { target, range, value } = current;
    const kind = document.getElementById("pii-type").value;
    try {
      await post(markButton().dataset.markUrl, { target: target.dataset.piiTarget, value, entity_type: kind });
    } catch (error) {
      showError(error.message);
      return;
    }
    dialog().close();
    const mark = document.createElement("mark");
    mark.className = "pii pii-added";
    mark.title = "marked by you";
    try {
      range.surroundContents(mark);
    } catch (error) {
      // A selection across formatting (bold, a link) cannot be wrapped in one mark: it is stored all the same.
    }
    window.getSelection().removeAllRanges();
    lastSelection = null;
    selecting(false);
    say("Marked as personal data.");
    suggestFlag(target);
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches(`input[type=checkbox][value="${FLAG}"]`) || !box.checked) return;
    const card = box.closest(".cand");
    if (!card || card.querySelector("mark.pii")) return;
    let hint = card.querySelector(".pii-hint");
    if (!hint) {
      hint = document.createElement("p");
      hint.className = "pii-hint";
      hint.textContent = "Select the personal data in this answer and press “Mark personal data”, so that exports can remove it.";
      box.closest("details").appendChild(hint);
    }
    say(hint.textContent);
  });
})();
