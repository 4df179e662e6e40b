// Suggests the event's address from its name as the name is typed, until the address is typed by hand; the
// server makes the same suggestion when the address is left empty (server/organising/event_input.py).
(function () {
  "use strict";
  var title = document.getElementById("event-title");
  var slug = document.getElementById("event-slug");
  if (!title || !slug) {
    return;
  }
  var typed = slug.value !== "";
  function suggestion(text) {
    return text
      .normalize("NFKD")
      .replace(/[^\x00-\x7f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 64)
      .replace(/-+$/g, "");
  }
  slug.addEventListener("input", function () {
    typed = slug.value !== "";
  });
  title.addEventListener("input", function () {
    if (!typed) {
      slug.value = suggestion(title.value);
    }
  });
})();
