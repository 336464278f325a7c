// Behaviour the templates would otherwise write inline: the Content-Security-Policy runs no
// inline script and no on*= attribute, so it lives here, delegated from the document (it also
// covers fragments htmx swaps in later).
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});
