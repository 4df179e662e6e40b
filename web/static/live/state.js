// What the page knows of its room, kept by applying the join answer, room events, counts and
// announcements in order. Views subscribe and redraw the parts that changed.

export class RoomState {
  constructor() {
    this.room = null;
    this.me = null;
    this.questions = new Map();
    this.chat = [];
    this.chatComplete = false; // no older messages to load
    this.heldChat = new Map(); // moderators only: messages waiting for review, by id
    this.polls = new Map();
    this.muted = new Map(); // moderators only: participant key -> who is muted, since when, by whom
    this.presence = { connected: 0, online: 0, onsite: 0 };
    this.announcements = new Map();
    this.listeners = [];
  }

  // `listener(parts)` with parts a Set of "room", "me", "questions", "chat", "polls", "counts",
  // "announcements", "muted", "status".
  subscribe(listener) {
    this.listeners.push(listener);
  }

  changed(...parts) {
    const set = new Set(parts);
    this.listeners.forEach((listener) => listener(set));
  }

  // The handlers LiveConnection calls.
  handlers(onStatus) {
    return {
      status: (state, message) => onStatus(state, message),
      snapshot: (answer) => this.snapshot(answer),
      event: (event) => this.event(event),
      own: (question) => this.upsertQuestion(question),
      me: (me) => {
        this.me = me;
        this.changed("me", "questions", "polls");
      },
      muted: (muted) => {
        if (!this.me) return;
        this.me = { ...this.me, muted };
        this.changed("me");
      },
      mutedList: (list) => {
        this.muted = new Map(list.map((person) => [person.key, person]));
        this.changed("muted", "chat");
      },
      // Messages waiting for review: the queue for moderators, one's own (marked so) for everyone else.
      heldChat: (list) => {
        if (this.me && this.me.can_moderate) {
          this.heldChat = new Map(list.map((message) => [message.id, message]));
        } else {
          this.heldChat = new Map();
          list.forEach((message) => this.upsertChat(message));
        }
        this.changed("chat");
      },
      ownChat: (message) => {
        if (message.status === "held" && this.me && this.me.can_moderate) return; // the queue has it
        this.upsertChat(message);
        this.changed("chat");
      },
      counts: (counts) => this.counts(counts),
      announcements: (list) => {
        this.announcements = new Map(list.map((item) => [item.id, item]));
        this.changed("announcements");
      },
      announcement: (item) => {
        this.announcements.set(item.id, item);
        this.changed("announcements");
      },
      announcementRemoved: (id) => {
        this.announcements.delete(id);
        this.changed("announcements");
      },
    };
  }

  snapshot(answer) {
    this.room = answer.room;
    this.questions = new Map(answer.questions.map((question) => [question.id, question]));
    this.chat = answer.chat.slice();
    this.chatComplete = !answer.chat_more;
    this.polls = new Map(answer.polls.map((poll) => [poll.id, poll]));
    this.changed("room", "questions", "chat", "polls");
  }

  event({ kind, data }) {
    switch (kind) {
      case "question":
        this.upsertQuestion(data);
        break;
      case "question_removed":
        this.questions.delete(data.id);
        this.changed("questions");
        break;
      case "room":
        this.room = data;
        this.changed("room", "questions");
        break;
      case "chat":
        this.heldChat.delete(data.id);
        this.upsertChat(data); // an approved message replaces its author's "waiting for review" copy
        this.changed("chat");
        break;
      case "chat_held":
        if (this.me && this.me.can_moderate) this.heldChat.set(data.id, data);
        else this.upsertChat(data);
        this.changed("chat");
        break;
      case "chat_rejected":
        this.heldChat.delete(data.id);
        if (!(this.me && this.me.can_moderate)) this.upsertChat(data);
        this.changed("chat");
        break;
      case "chat_removed":
        this.chat = this.chat.filter((message) => message.id !== data.id);
        this.changed("chat");
        break;
      case "poll":
        this.polls.set(data.id, data);
        this.changed("polls");
        break;
      case "mute":
        if (data.muted) this.muted.set(data.participant, data.person || { key: data.participant, name: "" });
        else this.muted.delete(data.participant);
        this.changed("muted", "chat");
        break;
      default:
        break; // "skip": nothing this person may see
    }
  }

  upsertChat(message) {
    const at = this.chat.findIndex((known) => known.id === message.id);
    if (at >= 0) this.chat[at] = message;
    else {
      this.chat.push(message);
      this.chat.sort((a, b) => a.id - b.id);
    }
  }

  upsertQuestion(question) {
    const known = this.questions.get(question.id);
    // A broadcast never says "mine": keep what the join answer or own_question told us.
    if (known && known.mine && !question.mine) question = { ...question, mine: true, author: known.author };
    this.questions.set(question.id, question);
    if (this.room && this.room.highlighted && this.room.highlighted.id === question.id) {
      this.room = { ...this.room, highlighted: question };
      this.changed("questions", "room");
    } else {
      this.changed("questions");
    }
  }

  counts(counts) {
    for (const [id, votes] of Object.entries(counts.votes || {})) {
      const question = this.questions.get(Number(id));
      if (question) question.votes = votes;
    }
    for (const [pollId, options] of Object.entries(counts.polls || {})) {
      const poll = this.polls.get(Number(pollId));
      if (!poll) continue;
      poll.options.forEach((option) => {
        if (String(option.id) in options) option.votes = options[String(option.id)];
      });
    }
    for (const [pollId, voters] of Object.entries(counts.poll_voters || {})) {
      const poll = this.polls.get(Number(pollId));
      if (poll) poll.voters = voters;
    }
    if (counts.presence) this.presence = counts.presence;
    this.changed("counts");
  }

  addHistory(messages, more) {
    const known = new Set(this.chat.map((message) => message.id));
    this.chat = messages.filter((message) => !known.has(message.id)).concat(this.chat);
    this.chatComplete = !more;
    this.changed("chat");
  }

  // My vote, as the server just confirmed it.
  setVoted(questionId, voted, votes) {
    const list = new Set(this.me ? this.me.voted : []);
    if (voted) list.add(questionId);
    else list.delete(questionId);
    if (this.me) this.me.voted = Array.from(list);
    const question = this.questions.get(questionId);
    if (question && typeof votes === "number") question.votes = votes;
    this.changed("questions");
  }

  setBallot(pollId, options) {
    if (this.me) this.me.poll_votes = { ...this.me.poll_votes, [String(pollId)]: options };
    this.changed("polls");
  }

  hasVoted(questionId) {
    return Boolean(this.me && this.me.voted.includes(questionId));
  }

  // The poll the audience sees: the open one, else the latest closed one whose results are shown.
  currentPoll() {
    const polls = Array.from(this.polls.values()).sort((a, b) => b.id - a.id);
    return (
      polls.find((poll) => poll.status === "open") ||
      polls.find((poll) => poll.status === "closed" && poll.results_visible) ||
      null
    );
  }
}
