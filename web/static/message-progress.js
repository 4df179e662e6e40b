// Follows a message's delivery: every few seconds, asks for its counts (a small JSON document) and shows them;
// once every mail is sent or failed, reads the page once more for the recipients' statuses. Without scripts,
// reloading the page does the same.
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  if (!progress || progress.getAttribute("data-done") === "true" || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = 2000;

  function get(url, accept) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: accept } }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return accept === "application/json" ? response.json() : response.text();
    });
  }

  function finish() {
    return get(window.location.pathname, "text/html").then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      ["#recipients", "#progress-hint"].forEach(function (selector) {
        var now = document.querySelector(selector);
        var next = fresh.querySelector(selector);
        if (now && next) {
          now.replaceWith(document.importNode(next, true));
        } else if (now) {
          now.remove();
        }
      });
    });
  }

  function poll() {
    get(progress.getAttribute("data-poll"), "application/json")
      .then(function (counts) {
        // The live region keeps its node, so screen readers hear the new counts.
        progress.textContent = counts.text;
        progress.setAttribute("data-sent", String(counts.sent));
        progress.setAttribute("data-failed", String(counts.failed));
        var bar = document.getElementById("progress-bar");
        if (bar) {
          bar.value = counts.sent + counts.failed;
        }
        if (counts.done) {
          progress.setAttribute("data-done", "true");
          return finish();
        }
        window.setTimeout(poll, every);
      })
      .catch(function () {
        window.setTimeout(poll, every * 3);
      });
  }

  window.setTimeout(poll, every);
})();
