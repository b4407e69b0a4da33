// A button with data-confirm asks before it submits its form (in place of an inline onclick,
// which the Content-Security-Policy refuses).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
