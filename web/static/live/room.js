// The room page: stream, presence, Q&A, the current poll, chat and announcements; questions and chat as tabs on a
// phone, side by side on a desktop.

import { allTabs } from "../common/tabs.js";
import { mountCaptions } from "./captions.js";
import { mountChat } from "./chat.js";
import { startRoom } from "./page.js";
import { mountPoll } from "./polls.js";
import { mountQuestions } from "./questions.js";

const { state, connection } = startRoom();
mountQuestions({ state, connection });
mountPoll({ state, connection });
mountChat({ state, connection });
mountCaptions(connection);
allTabs();
