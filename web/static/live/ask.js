// The phone page behind the room screen's QR code: ask, vote, and answer the poll from the hall.
// The room token comes with the page; a guest's key is kept in localStorage by the client.

import { startRoom } from "./page.js";
import { mountPoll } from "./polls.js";
import { mountQuestions } from "./questions.js";

const { state, connection } = startRoom();
mountQuestions({ state, connection });
mountPoll({ state, connection });
