// The capture, refund and cancel forms (templates/orders/operation_form.html): the submit button
// says the total as staff choose quantities or type amounts. The amounts of each quantity come
// from the server (data-amount on each option, as staff type amounts; orders/ledger.py: units_amount); this only adds
// them up and writes the sum as the page writes money. Delegated from the document, so it also
// covers the form when htmx swaps it into the order page.
(() => {
  const AMOUNT = /^(-)?(\d{1,15})(?:[.,](\d+))?$/;

  // Mirrors orders/money.py: parse_amount. null when it is not an amount.
  function parseAmount(text, digits) {
    const cleaned = text.replace(/[\s\u00a0\u202f]/g, "").replace("kr", "");
    if (!cleaned) return 0;
    const match = AMOUNT.exec(cleaned);
    if (!match || (match[3] || "").length > digits) return null;
    const minor = Number(match[2]) * 10 ** digits + Number((match[3] || "").padEnd(digits, "0") || 0);
    return match[1] ? -minor : minor;
  }

  function formatMoney(minor, fmt) {
    const digits = Number(fmt.moneyDigits);
    const abs = Math.abs(minor);
    const major = Math.floor(abs / 10 ** digits);
    const grouped = String(major).replace(/\B(?=(\d{3})+(?!\d))/g, fmt.moneyGroup);
    const fraction = digits ? fmt.moneyDecimal + String(abs % 10 ** digits).padStart(digits, "0") : "";
    return minor < 0
      ? fmt.moneyNegPrefix + grouped + fraction + fmt.moneyNegSuffix
      : fmt.moneyPrefix + grouped + fraction + fmt.moneySuffix;
  }

  function update(form) {
    const fmt = form.dataset;
    const digits = Number(fmt.moneyDigits);
    let total = 0;
    let valid = true;
    for (const row of form.querySelectorAll("[data-operation-line]")) {
      const select = row.querySelector("[data-quantity]");
      const other = row.querySelector("[data-other-amount]");
      let amount = select ? parseAmount(select.selectedOptions[0]?.dataset.amount || "", digits) || 0 : 0;
      const typed = other ? parseAmount(other.value, digits) : 0;
      if (typed === null) valid = false;
      else if (typed && !amount) amount = Number(row.dataset.sign) < 0 && typed > 0 ? -typed : typed;
      const cell = row.querySelector("[data-line-amount]");
      if (cell) cell.textContent = amount ? formatMoney(amount, fmt) : "";
      total += amount;
    }
    const button = form.querySelector("[data-operation-submit]");
    if (button) button.textContent = valid && total ? `${fmt.label} ${formatMoney(total, fmt)}` : fmt.label;
  }

  for (const type of ["input", "change"]) {
    document.addEventListener(type, (event) => {
      const form = event.target.closest("[data-operation-form]");
      if (form) update(form);
    });
  }

  // With the total on the button, the confirmation step the page without script shows first is
  // not needed: the field that asks for it goes before htmx or the browser reads the form.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target.closest("[data-operation-form]");
      if (form) for (const field of form.querySelectorAll("[data-review]")) field.remove();
    },
    true,
  );
})();
