// Reminders (server/reminders). On the cached session page: ask reminder.json for the viewer's reminder and say
// it in the link to the reminder page. On the reminder page: subscribe this browser to Web Push through the
// service worker that Podium serves at /sw.js, and tell the server its subscription.

const link = document.querySelector(".reminder-link[data-reminder-url]");
if (link) {
  fetch(link.dataset.reminderUrl, { headers: { accept: "application/json" }, credentials: "same-origin" })
    .then((answer) => (answer.ok ? answer.json() : null))
    .then((state) => {
      const anchor = link.querySelector("a");
      if (!state || !anchor || !state.text) return;
      anchor.textContent = state.text;
      link.dataset.reminded = state.reminder ? "yes" : "no";
    })
    .catch(() => {});
}

const setup = document.querySelector(".push-setup[data-key]");
if (setup && setup.dataset.key) wirePush(setup);

function words(section) {
  const found = {};
  for (const span of section.querySelectorAll(".push-text [data-key]")) found[span.dataset.key] = span.textContent;
  return found;
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (char) => char.charCodeAt(0));
}

function encoded(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function tell(url, subscription) {
  const form = new FormData();
  const token = document.querySelector("input[name=csrf_token]");
  form.append("csrf_token", token ? token.value : "");
  form.append("endpoint", subscription.endpoint);
  if (subscription.getKey) {
    form.append("p256dh", encoded(subscription.getKey("p256dh")));
    form.append("auth", encoded(subscription.getKey("auth")));
  }
  const answer = await fetch(url, { method: "POST", body: form, credentials: "same-origin" });
  if (!answer.ok) throw new Error(`the server answered ${answer.status}`);
}

async function wirePush(section) {
  const text = words(section);
  const status = section.querySelector(".push-status");
  const controls = section.querySelector(".push-controls");
  const on = section.querySelector(".push-on");
  const off = section.querySelector(".push-off");
  const say = (key) => {
    status.textContent = text[key] || "";
  };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }
  const registration = await navigator.serviceWorker.register(section.dataset.worker, { scope: "/" });
  const show = (subscribed) => {
    controls.hidden = false;
    on.hidden = subscribed;
    off.hidden = !subscribed;
  };
  const existing = await registration.pushManager.getSubscription();
  show(Boolean(existing));
  if (existing) say("on");
  on.addEventListener("click", async () => {
    say("asking");
    if ((await Notification.requestPermission()) !== "granted") {
      say("blocked");
      return;
    }
    try {
      const ready = await navigator.serviceWorker.ready;
      const subscription = await ready.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(section.dataset.key),
      });
      await tell(section.dataset.subscribe, subscription);
      show(true);
      say("on");
    } catch {
      say("failed");
    }
  });
  off.addEventListener("click", async () => {
    const subscription = await registration.pushManager.getSubscription();
    if (subscription) {
      await tell(section.dataset.unsubscribe, subscription).catch(() => {});
      await subscription.unsubscribe();
    }
    show(false);
    say("off");
  });
}
