// 整改通 service worker: keeps the app shell and the pages a user opened readable
// offline, and serves the offline page when the network is gone and nothing is cached.
// Nothing here talks to any host but this app's own.
// The server fills in the version and the hashed asset names (server/src/pwa.rs).
const VERSION = '__VERSION__';
const SHELL = `rectify-shell-${VERSION}`;
const PAGES = `rectify-pages-${VERSION}`;
const SHELL_FILES = [
  '/offline',
  '__SHELL_ASSETS__',
  '/manifest.webmanifest',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k !== SHELL && k !== PAGES).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

async function fromNetworkThenCache(request) {
  try {
    const response = await fetch(request);
    // The server shows the sign-in page only to a browser signed in nowhere (a signed-in
    // one is sent home): the session ended (unused, its lifetime, signed out elsewhere),
    // so the signed-in pages kept on this device go with it.
    if (response.ok && new URL(request.url).pathname === '/login') {
      await caches.delete(PAGES);
      return response;
    }
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(PAGES).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (err) {
    const cached = await caches.match(request);
    return cached || (await caches.match('/offline')) || Response.error();
  }
}

async function fromCacheThenRefresh(request) {
  const cached = await caches.match(request);
  const network = fetch(request)
    .then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(SHELL).then((cache) => cache.put(request, copy));
      }
      return response;
    })
    .catch(() => cached || Response.error());
  return cached || network;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== 'GET') {
    // Signing out forgets the pages kept for offline reading.
    if (url.pathname === '/api/sign_out') {
      event.waitUntil(caches.delete(PAGES));
    }
    return;
  }
  if (url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(fromNetworkThenCache(request));
    return;
  }
  if (url.pathname.startsWith('/pkg/') || url.pathname.startsWith('/icons/')) {
    event.respondWith(fromCacheThenRefresh(request));
  }
});

// Web Push: the server sends one digest per person and run (encrypted for this device);
// the notification names the items, and a tap opens the item (or the inbox for several).
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || '整改通', {
      body: data.body || '',
      tag: data.tag || 'rectify',
      renotify: true,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: data.url || '/inbox' },
    }),
  );
});

// Open what a notification points to: an open window of the app goes there, otherwise a
// new one opens. Only paths of this app are followed.
async function openFromNotification(notification) {
  const target = new URL((notification.data && notification.data.url) || '/inbox', self.location.origin);
  const url = target.origin === self.location.origin ? target.href : new URL('/inbox', self.location.origin).href;
  notification.close();
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin || !('navigate' in client)) continue;
    try {
      const moved = await client.navigate(url);
      if (moved) {
        await moved.focus().catch(() => {});
        return moved;
      }
    } catch (err) {
      // Not ours to steer: fall through to a new window.
    }
  }
  return self.clients.openWindow(url);
}
self.openFromNotification = openFromNotification;

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(openFromNotification(event.notification));
});
