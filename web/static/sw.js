// Podium's service worker, served at /sw.js (scope: the whole site). It shows the reminders that Podium sends by
// Web Push (server/reminders/sending.py: {title, body, url, tag}) and opens the session's page on a click.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  const title = message.title || "Podium";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: message.body || "",
      tag: message.tag || undefined,
      data: { url: message.url || "/" },
      icon: "/static/favicon.svg",
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const each of windows) {
        if (each.url === url && "focus" in each) return each.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
