// Follows a message's delivery: every few seconds, reads the page again and puts its progress and recipient
// table in place of these, until every mail is sent or failed. Without scripts, reloading the page does the same.
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  if (!progress || progress.getAttribute("data-done") === "true" || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = 2000;

  function replace(fresh, selector) {
    var now = document.querySelector(selector);
    var next = fresh.querySelector(selector);
    if (now && next) {
      now.replaceWith(document.importNode(next, true));
    }
  }

  function poll() {
    fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var next = fresh.getElementById("progress");
        if (!next) {
          return;
        }
        var current = document.getElementById("progress");
        // The live region keeps its node, so screen readers hear the new counts.
        current.textContent = next.textContent;
        ["data-total", "data-sent", "data-failed", "data-done"].forEach(function (name) {
          current.setAttribute(name, next.getAttribute(name) || "");
        });
        replace(fresh, "#progress-bar");
        replace(fresh, "#recipients");
        if (next.getAttribute("data-done") !== "true") {
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        window.setTimeout(poll, every * 3);
      });
  }

  window.setTimeout(poll, every);
})();
