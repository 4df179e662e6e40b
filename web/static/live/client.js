// The live-room connection (realtime/live/PROTOCOL.md): joins one room, applies its events in `seq`
// order, resyncs with `since_seq` after a gap or a reconnect, and retries writes with the same client id.
// socket.io.min.js is loaded before this module and provides `window.io`.

const GUEST_KEY = "podium-guest-key";
const ACK_TIMEOUT_MS = 10000;
const GAP_WAIT_MS = 1000;
const REJOIN_DELAY_MS = 2000;
const RESYNC_SPREAD_MS = 1000;
const ATTEMPTS = 4;

export function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function storedGuestKey() {
  try {
    return localStorage.getItem(GUEST_KEY) || "";
  } catch (_error) {
    return "";
  }
}

function storeGuestKey(key) {
  try {
    localStorage.setItem(GUEST_KEY, key);
  } catch (_error) {
    // Private browsing: the guest keeps their votes for this visit only.
  }
}

// `handlers`: status(state, message), snapshot(answer), event(roomEvent), own(question), me(me),
// muted(bool), mutedList(list), counts(counts), announcements(list), announcement(announcement),
// announcementRemoved(id).
export class LiveConnection {
  // `staffOnly`: the page is for moderators (console, screen) and closes when its person stops being one.
  constructor({ session, roomToken = "", handlers, staffOnly = false }) {
    this.session = session;
    this.roomToken = roomToken;
    this.handlers = handlers;
    this.staffOnly = staffOnly;
    this.notice = ""; // why the last join happened, shown once it answers
    this.lastSeq = null;
    this.hintSeq = 0; // the newest seq the server mentioned (in counts), to notice a lost last event
    this.joining = false;
    this.joined = false;
    this.stopped = false;
    this.buffered = []; // room events that arrived while a join was in flight
    this.held = new Map(); // seq -> room event that came after a gap
    this.ownHeld = []; // own_question messages waiting for the room event of their seq
    this.muteNotice = null; // the newest `muted` notice: one that arrives during a join may be newer than it
    this.muteSeq = 0; // the seq the shown mute state is as new as
    this.gapTimer = null;
    this.resyncAfterJoin = false;
    this.waiting = [];
    this.joinedListeners = []; // called after every join's answer (a reconnect too): captions follow again
  }

  onJoined(listener) {
    this.joinedListeners.push(listener);
  }

  start() {
    const socket = window.io("/live", {
      path: "/socket.io/",
      transports: ["websocket"],
      auth: (send) => send(this.auth()),
    });
    this.socket = socket;
    this.handlers.status("connecting");
    socket.on("connect", () => this.join());
    socket.on("disconnect", (reason) => {
      this.joined = false;
      if (this.stopped) return;
      this.handlers.status("reconnecting");
      // The server closed this connection (e.g. after a flood); socket.io leaves reconnecting to us.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), REJOIN_DELAY_MS);
    });
    socket.on("connect_error", (error) => {
      if (error && error.data && error.data.code) {
        this.stop(error.message);
      } else {
        this.handlers.status("reconnecting");
      }
    });
    socket.on("room_event", (event) => this.onRoomEvent(event));
    socket.on("own_question", (message) => this.onOwnQuestion(message));
    // My chat message held for review, or turned down (PROTOCOL.md, "Reviewed chat").
    socket.on("own_chat", (message) => {
      if (message.session === this.session) this.handlers.ownChat(message.message);
    });
    socket.on("muted", (message) => this.onMuted(message));
    socket.on("counts", (counts) => {
      if (counts.session !== this.session) return;
      this.hintSeq = Math.max(this.hintSeq, counts.seq || 0);
      if (this.joined && this.hintSeq > this.lastSeq) this.armGap();
      this.handlers.counts(counts);
    });
    socket.on("revoked", (notice) => this.onRevoked(notice));
    // The server's message bus lost messages (PROTOCOL.md): catch up from the database, not all at once.
    socket.on("resync", () => {
      if (this.joined) setTimeout(() => this.resync(), Math.random() * RESYNC_SPREAD_MS);
    });
    socket.on("announcement", (message) => this.handlers.announcement(message.announcement));
    socket.on("announcement_removed", (message) => this.handlers.announcementRemoved(message.id));
  }

  auth() {
    if (!this.roomToken) return {};
    const auth = { room_token: this.roomToken };
    const key = storedGuestKey();
    if (key) auth.guest_key = key;
    return auth;
  }

  stop(message) {
    this.stopped = true;
    this.joined = false;
    if (this.socket) this.socket.disconnect();
    this.handlers.status("refused", message);
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach((resolve) => resolve(false));
  }

  // A join already in flight may have read the room before what was lost: join once more after it.
  resync() {
    if (this.joining) {
      this.resyncAfterJoin = true;
    } else if (this.joined) {
      this.join();
    }
  }

  async join() {
    if (this.joining || this.stopped) return;
    this.joining = true;
    this.buffered = [];
    const payload = { session: this.session };
    if (this.lastSeq !== null) payload.since_seq = this.lastSeq;
    let answer;
    try {
      answer = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("join", payload);
    } catch (_error) {
      this.joining = false;
      if (this.socket.connected) setTimeout(() => this.join(), REJOIN_DELAY_MS);
      return;
    }
    this.joining = false;
    if (!answer.ok) {
      if (answer.code === "rate_limited" || answer.code === "server_error") {
        setTimeout(() => this.join(), REJOIN_DELAY_MS);
      } else {
        this.stop(answer.error);
      }
      return;
    }
    this.finishJoin(answer);
  }

  finishJoin(answer) {
    if (answer.mode === "snapshot") {
      this.held.clear();
      this.handlers.snapshot(answer);
    } else {
      for (const event of answer.events) {
        if (this.lastSeq === null || event.seq > this.lastSeq) this.handlers.event(event);
      }
    }
    // What the answer covers needs no own_question on top; newer ones wait for their event.
    this.ownHeld = this.ownHeld.filter((message) => message.seq > answer.seq);
    this.lastSeq = answer.seq;
    this.hintSeq = Math.max(this.hintSeq, answer.seq);
    if (answer.me.guest_key) storeGuestKey(answer.me.guest_key);
    this.handlers.me(answer.me);
    this.handlers.heldChat(answer.chat_held || []);
    this.handlers.mutedList(answer.muted || []); // none for whoever is (no longer) a moderator
    // `me.muted` is read after the answer's seq: only a newer notice still applies on top of it.
    this.muteSeq = answer.seq;
    if (this.muteNotice && this.muteNotice.seq > answer.seq) this.applyMute(this.muteNotice);
    this.handlers.counts(answer.counts);
    this.handlers.announcements(answer.announcements);
    this.joined = true;
    const buffered = this.buffered;
    this.buffered = [];
    buffered.forEach((event) => this.onRoomEvent(event));
    this.drain();
    if (this.resyncAfterJoin) {
      this.resyncAfterJoin = false;
      this.join();
    }
    this.handlers.status("live", this.notice);
    this.notice = "";
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach((resolve) => resolve(true));
    this.joinedListeners.forEach((listener) => listener());
  }

  onRoomEvent(event) {
    if (event.session !== this.session) return;
    // While a join is in flight its answer decides lastSeq: what arrives meanwhile applies after it.
    if (!this.joined || this.joining) {
      this.buffered.push(event);
      return;
    }
    if (event.seq <= this.lastSeq) return;
    if (event.seq === this.lastSeq + 1) {
      this.apply(event);
      this.drain();
    } else {
      this.held.set(event.seq, event);
      this.armGap();
    }
  }

  onOwnQuestion(message) {
    if (message.session !== this.session) return;
    if (this.joined && message.seq <= this.lastSeq) {
      this.handlers.own(message.question);
    } else {
      this.ownHeld.push(message);
    }
  }

  // Something was taken from this person (PROTOCOL.md, "Revocation"): say why, and keep only what is left.
  onRevoked(notice) {
    if (notice.session !== null && notice.session !== this.session) return;
    if (notice.left || this.staffOnly) {
      this.stop(notice.message);
      return;
    }
    // Still in the room with less: a fresh snapshot holds only what may still be seen.
    this.notice = notice.message;
    this.lastSeq = null;
    this.joined = false;
    this.join();
  }

  // A moderator muted or unmuted me. Notices from two server processes may cross: the higher seq wins.
  onMuted(message) {
    if (message.session !== this.session) return;
    if (!this.muteNotice || message.seq > this.muteNotice.seq) this.muteNotice = message;
    if (this.joined && message.seq > this.muteSeq) this.applyMute(message);
  }

  applyMute(message) {
    this.muteSeq = message.seq;
    this.handlers.muted(message.muted);
  }

  apply(event) {
    this.lastSeq = event.seq;
    this.handlers.event(event);
    const ready = this.ownHeld.filter((message) => message.seq <= this.lastSeq);
    this.ownHeld = this.ownHeld.filter((message) => message.seq > this.lastSeq);
    ready.forEach((message) => this.handlers.own(message.question));
  }

  drain() {
    while (this.held.has(this.lastSeq + 1)) {
      const event = this.held.get(this.lastSeq + 1);
      this.held.delete(event.seq);
      this.apply(event);
    }
    for (const seq of Array.from(this.held.keys())) {
      if (seq <= this.lastSeq) this.held.delete(seq);
    }
    if (this.held.size === 0 && this.hintSeq <= this.lastSeq && this.gapTimer !== null) {
      clearTimeout(this.gapTimer);
      this.gapTimer = null;
    }
  }

  armGap() {
    if (this.gapTimer !== null) return;
    // With several server processes two changes may arrive out of order: wait a moment first.
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.joined && (this.held.size > 0 || this.hintSeq > this.lastSeq)) this.join();
    }, GAP_WAIT_MS);
  }

  ready() {
    if (this.joined) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  // One request, answered once: `{ok: true, ...}` or `{ok: false, error, code}`. With `retry`, a request
  // that got no answer is sent again, unchanged, after the next join (its client id makes that safe).
  async request(name, fields = {}, { retry = false } = {}) {
    const payload = { session: this.session, ...fields };
    for (let attempt = 1; ; attempt += 1) {
      if (!(await this.ready())) return { ok: false, error: "", code: "closed" };
      let answer;
      try {
        answer = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(name, payload);
      } catch (_error) {
        if (retry && attempt < ATTEMPTS) continue;
        return { ok: false, error: "", code: "timeout" };
      }
      if (answer.code === "not_joined" && attempt < ATTEMPTS) {
        this.joined = false;
        this.join();
        continue;
      }
      return answer;
    }
  }

  write(name, fields) {
    return this.request(name, { ...fields, client_id: newClientId() }, { retry: true });
  }
}
