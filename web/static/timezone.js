// Offers the visitor's own time zone (as the browser knows it) as a plain link; the page works without it.
(function () {
  "use strict";
  var holder = document.querySelector("[data-local-zone]");
  if (!holder || !window.Intl || !window.URL) {
    return;
  }
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || zone === holder.getAttribute("data-current")) {
    return;
  }
  var url = new URL(window.location.href);
  url.searchParams.set("tz", zone);
  url.hash = "";
  var link = document.createElement("a");
  link.href = url.pathname + url.search;
  link.textContent = (holder.getAttribute("data-label") || "{zone}").replace("{zone}", zone);
  holder.appendChild(link);
  holder.hidden = false;
})();
