// Behaviour the templates would otherwise write inline: the Content-Security-Policy runs no
// inline script and no on*= attribute, so it lives here, delegated from the document (it also
// covers fragments htmx swaps in later).
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});

// The order page's action panel (#action-panel, filled by the action buttons through htmx):
// Escape closes it and puts focus back on the button that opened it.
(() => {
  let opener = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target?.id === "action-panel") opener = event.detail.elt;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const panel = document.getElementById("action-panel");
    if (!panel || !panel.firstElementChild) return;
    panel.replaceChildren();
    if (opener && document.contains(opener)) opener.focus();
  });
})();
