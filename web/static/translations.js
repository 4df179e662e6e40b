// The programme texts' languages on the back office's forms (macros/translations.html): one tab per language.
import { allTabs } from "./common/tabs.js";

allTabs();
