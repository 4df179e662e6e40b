// The moderator console: the review queue first (with keyboard shortcuts), what is on the screen, live counts,
// stream, recording and room settings in tabs, polls and chat moderation with the muted list. Made for a phone on
// stage too: every control is a large button.

import { allTabs } from "../common/tabs.js";
import { act } from "../common/ui.js";
import { mountChat } from "./chat.js";
import { byId } from "./dom.js";
import { mountModKeys } from "./mod_keys.js";
import { mountModMutes } from "./mod_mutes.js";
import { mountModPolls } from "./mod_polls.js";
import { mountModQuestions } from "./mod_questions.js";
import { startRoom } from "./page.js";

const SETTINGS = ["moderated", "qa_open", "chat_open", "chat_reviewed"];

const { state, connection } = startRoom();
mountModQuestions({ state, connection });
mountModPolls({ state, connection });
mountChat({ state, connection, moderate: true });
mountModMutes({ state, connection });
mountModKeys();
allTabs(); // stream, recording and settings

SETTINGS.forEach((name) => {
  const box = byId(`setting-${name}`);
  box.addEventListener("change", async () => {
    const answer = await act(box, () => connection.request("room.update", { [name]: box.checked }), { status: byId("mod-status") });
    if (!answer.ok) box.checked = !box.checked;
  });
});

state.subscribe((parts) => {
  if (!parts.has("room") || !state.room) return;
  SETTINGS.forEach((name) => {
    byId(`setting-${name}`).checked = Boolean(state.room[name]);
  });
});
