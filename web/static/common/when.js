// Dates, times and numbers as the page shows them: in the page's language (<html lang>) and in the zone the
// page shows times in (<html data-time-zone>: the viewer's chosen zone, else the event's), never the browser's
// own. Times are 24-hour in every language, as the agenda prints them (the server's Babel skeleton "Hm",
// server/formats.py), so a chat line's "09:05" reads like the agenda beside it. A page without a zone shows
// UTC and says so.

const root = document.documentElement;
export const LANG = root.lang || "en";
const PAGE_ZONE = root.dataset.timeZone || "";

function zoneOrUtc(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch (_error) {
    return "";
  }
}

export const ZONE = PAGE_ZONE ? zoneOrUtc(PAGE_ZONE) : "";

const TIME = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
const DATE = { year: "numeric", month: "short", day: "numeric" };
const cache = new Map();

function formatter(options) {
  const key = JSON.stringify(options);
  if (!cache.has(key)) {
    const zoned = ZONE ? { ...options, timeZone: ZONE } : { ...options, timeZone: "UTC", timeZoneName: "short" };
    cache.set(key, new Intl.DateTimeFormat(LANG, zoned));
  }
  return cache.get(key);
}

// A Date, an ISO 8601 string or milliseconds; null when it is no moment.
function momentOf(value) {
  if (value === null || value === undefined || value === "") return null;
  const moment = value instanceof Date ? value : new Date(value);
  return Number.isNaN(moment.getTime()) ? null : moment;
}

function formatted(value, options) {
  const moment = momentOf(value);
  return moment ? formatter(options).format(moment) : "";
}

// "09:05" (or "09:05:30" with seconds).
export function time(value, { seconds = false } = {}) {
  return formatted(value, seconds ? { ...TIME, second: "2-digit" } : TIME);
}

// "Oct 27, 2021" / "2021年10月27日".
export function date(value) {
  return formatted(value, DATE);
}

// "Oct 27, 2021, 09:05" / "2021年10月27日 09:05".
export function dateTime(value) {
  return formatted(value, { ...DATE, ...TIME });
}

let numbers = null;

// "12,345" / "12.345": a count grouped as the page's language groups it.
export function number(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "";
  numbers = numbers || new Intl.NumberFormat(LANG);
  return numbers.format(value);
}
