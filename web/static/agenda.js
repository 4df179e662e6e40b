// The agenda's personal and moving parts, on a page that is cached and shared by everyone: each session's seats
// and the signed-in person's picks and clashes (read from a small private document), and each session's phase with
// each room's "On now", refreshed every few seconds.
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

  // Each session's phase and each room's "on now" and "next" (server/transport/phase_pages.py now.json), asked
  // again every few seconds: the same phase the session page, the room page and the API show.
  var POLL_MS = 15000;
  var onNow = document.querySelector(".on-now[data-now-url]");
  var LANG = document.documentElement.lang || "en";

  function format(date, options) {
    var zone = document.documentElement.getAttribute("data-time-zone");
    try {
      return new Intl.DateTimeFormat(LANG, Object.assign({ timeZone: zone || undefined }, options)).format(date);
    } catch (error) {
      return new Intl.DateTimeFormat(LANG, options).format(date);
    }
  }

  // A next session on another day than the server's "now" carries its date too.
  function timeOf(iso, nowIso) {
    var date = new Date(iso);
    var day = { year: "numeric", month: "short", day: "numeric" };
    var time = format(date, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    var now = new Date(nowIso);
    if (isNaN(now.getTime()) || format(now, day) === format(date, day)) {
      return time;
    }
    return format(date, day) + " " + time;
  }

  function markPhases(sessions) {
    root.querySelectorAll("article.card[data-code]").forEach(function (card) {
      var known = sessions[card.getAttribute("data-code")];
      if (!known) {
        return;
      }
      card.setAttribute("data-phase", known.phase);
      var shown = card.querySelector("[data-phase-badge]");
      var wanted = known.phase !== "upcoming" && known.phase !== "cancelled";
      if (!wanted) {
        if (shown) {
          shown.remove();
        }
        return;
      }
      if (!shown) {
        shown = badge(known.phase, known.label, "data-phase-badge");
        marksOf(card).insertBefore(shown, marksOf(card).firstChild);
      }
      shown.setAttribute("data-state", known.phase);
      shown.textContent = known.label;
    });
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (text) {
      made.textContent = text;
    }
    return made;
  }

  function link(href, text, className) {
    var made = element("a", className, text);
    made.href = href;
    return made;
  }

  function roomItem(room) {
    var item = element("li", "on-now-room");
    item.setAttribute("data-room", room.slug);
    item.appendChild(element("h3", "on-now-room-name", room.name));
    if (room.now) {
      var current = element("p", "on-now-current");
      current.setAttribute("data-code", room.now.code);
      current.setAttribute("data-phase", room.now.phase);
      var mark = element("span", "badge", room.now.label);
      mark.setAttribute("data-state", room.now.phase);
      current.appendChild(mark);
      current.appendChild(link(room.now.url, room.now.title));
      var watch = link(room.now.watch_url, onNow.getAttribute("data-text-watch"), "btn on-now-watch");
      watch.appendChild(element("span", "visually-hidden", ": " + room.now.title));
      current.appendChild(watch);
      item.appendChild(current);
    } else {
      item.appendChild(element("p", "on-now-current on-now-nothing", onNow.getAttribute("data-text-nothing")));
    }
    if (room.next) {
      var next = element("p", "on-now-next", onNow.getAttribute("data-text-next") + " ");
      next.setAttribute("data-code", room.next.code);
      var time = element("time", "", timeOf(room.next.start, serverNow));
      time.setAttribute("datetime", room.next.start);
      next.appendChild(time);
      next.appendChild(document.createTextNode(" "));
      next.appendChild(link(room.next.url, room.next.title));
      item.appendChild(next);
    }
    return item;
  }

  var serverNow = "";

  function showOnNow(rooms) {
    if (!onNow) {
      return;
    }
    var list = onNow.querySelector(".on-now-rooms");
    list.replaceChildren.apply(list, rooms.map(roomItem));
    onNow.hidden = rooms.length === 0;
  }

  function refreshPhases() {
    var url = onNow ? onNow.getAttribute("data-now-url") : "";
    if (!url || !window.fetch) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body) {
          serverNow = body.now || "";
          markPhases(body.sessions || {});
          showOnNow(body.rooms || []);
          root.setAttribute("data-phases-at", body.now || "");
        }
      })
      .catch(function () { /* the next poll tries again */ });
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

  refreshPhases();
  window.setInterval(refreshPhases, POLL_MS);
  var url = root.getAttribute("data-states-url");
  if (url && window.fetch) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { states: {} }; })
      .then(function (body) { markStates(body.states || {}); })
      .catch(function () { /* the agenda reads the same without the marks */ });
  }
})();
