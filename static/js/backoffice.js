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

// A form refused (422) comes back with its messages: focus goes to the first field in error
// (its message is tied to it by aria-describedby, so it is read out), else to the messages
// above the form (role=alert). Without this, htmx puts focus back where it was, on the element
// with the same id (the first line of an operation form, the add-line form's first field).
(() => {
  function focusFirstError(root) {
    const field = root.querySelector('form [aria-invalid="true"]');
    const summary = root.querySelector("form .form-errors, .form-errors[role=alert]");
    const target = field || summary;
    if (!target) return;
    if (target === summary) summary.tabIndex = -1;
    target.focus();
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.xhr?.status === 422) focusFirstError(document);
  });
  // The same form without script, or opened on a page of its own, after a refusal.
  document.addEventListener("DOMContentLoaded", () => {
    if (document.querySelector('form [aria-invalid="true"], .form-errors')) focusFirstError(document);
  });
})();
