// What every page wires once it has loaded: destructive forms ask first (confirm.js), uploads show progress
// (upload.js), and the notice a write left can be dismissed (ui.js).
import "./confirm.js";
import { dismissible } from "./ui.js";
import { wireUploads } from "./upload.js";

wireUploads();
for (const notice of document.querySelectorAll(".toast-region .notice, .notice[data-dismissible]")) dismissible(notice);
