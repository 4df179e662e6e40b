// The agenda's personal and moving parts, on a page that is cached and shared by everyone: each session's seats
// and the signed-in person's picks and clashes (read from a small private document), and the "Now" mark,
// refreshed every minute.
(function () {
  "use strict";
  var root = document.querySelector(".agenda-days");
  if (!root) {
    return;
  }

  function marksOf(card) {
    var marks = card.querySelector(".card-marks");
    if (!marks) {
      marks = document.createElement("p");
      marks.className = "card-marks";
      card.insertBefore(marks, card.children[1] || null);
    }
    return marks;
  }

  function badge(state, text, flag) {
    var span = document.createElement("span");
    span.className = "badge";
    span.setAttribute("data-state", state);
    span.setAttribute(flag, "");
    span.textContent = text;
    return span;
  }

  // The server's clock decides what runs now (the page says when it was made): the device's may be wrong.
  var made = Date.parse(root.getAttribute("data-now") || "");
  var offset = isNaN(made) ? 0 : made - Date.now();

  function markNow() {
    var now = Date.now() + offset;
    root.querySelectorAll("article.card[data-start]").forEach(function (card) {
      var running = Date.parse(card.getAttribute("data-start")) <= now &&
        now < Date.parse(card.getAttribute("data-end")) && !card.classList.contains("card-cancelled");
      var shown = card.querySelector("[data-now]");
      if (running && !shown) {
        marksOf(card).insertBefore(badge("live", root.getAttribute("data-now-label"), "data-now"), marksOf(card).firstChild);
      } else if (!running && shown) {
        shown.remove();
      }
    });
  }

  // Each session's state for this viewer (server/transport/picks.py viewer_states): seats left or full for
  // everyone, and a clash, a pick or a waitlist place for a signed-in delegate.
  function markStates(states) {
    Object.keys(states).forEach(function (code) {
      var state = states[code];
      root.querySelectorAll('article.card[data-code="' + CSS.escape(code) + '"]').forEach(function (card) {
        var shown = card.querySelector("[data-seat-state]");
        if (shown) {
          shown.remove();
        }
        marksOf(card).appendChild(badge(state.state, state.text, "data-seat-state"));
        card.classList.toggle("card-picked", state.state === "picked" || state.state === "waitlist");
      });
    });
  }

  markNow();
  window.setInterval(markNow, 60000);
  var url = root.getAttribute("data-states-url");
  if (url && window.fetch) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { states: {} }; })
      .then(function (body) { markStates(body.states || {}); })
      .catch(function () { /* the agenda reads the same without the marks */ });
  }
})();
