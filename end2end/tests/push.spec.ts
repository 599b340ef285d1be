import { test, expect } from '@playwright/test';
import { signInAs } from './helpers';

// A push as the browser's push service would deliver it (DevTools protocol), shown by
// the service worker; a tap opens the item. The encryption and VAPID signing of real
// pushes are tested against a push endpoint on loopback (app/tests/channels.rs).
test('a push shows a notification and a tap on it opens the item', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['notifications'], { origin: baseURL });
  await signInAs(page, 'unit_head');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const link = page.locator('a[href^="/items/"]').first();
  const itemPath = await link.getAttribute('href');
  expect(itemPath).toMatch(/^\/items\//);

  const cdp = await context.newCDPSession(page);
  const registration = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
      const ours = event.registrations.find((r) => r.scopeURL === `${baseURL}/` && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  // Chromium drops a notification that getNotifications() asks about while it is still
  // being displayed (it keeps only those displayed), so the first look waits for
  // DevTools to report it displayed.
  const displayed = new Promise<void>((resolve) => {
    cdp.on('BackgroundService.backgroundServiceEventReceived', ({ backgroundServiceEvent: e }) => {
      if (e.service === 'notifications' && e.eventName === 'Notification displayed') resolve();
    });
  });
  await cdp.send('BackgroundService.startObserving', { service: 'notifications' });
  await cdp.send('BackgroundService.setRecording', { shouldRecord: true, service: 'notifications' });
  await cdp.send('ServiceWorker.enable');
  await page.evaluate(() => navigator.serviceWorker.ready);
  const registrationId = await registration;
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: baseURL!,
    registrationId,
    data: JSON.stringify({ title: '整改通 · 1 项提醒', body: '距整改期限还有 7 天', url: itemPath, tag: 'rectify-reminders' }),
  });

  await displayed;
  await expect
    .poll(() => page.evaluate(async () => {
      const shown = await (await navigator.serviceWorker.ready).getNotifications();
      return shown.map((n) => ({ title: n.title, body: n.body, url: n.data?.url }));
    }))
    .toEqual([{ title: '整改通 · 1 项提醒', body: '距整改期限还有 7 天', url: itemPath }]);

  // The tap: the worker's notificationclick handler, run on the notification shown.
  await page.goto('/inbox');
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/sw.js'));
  expect(worker).toBeTruthy();
  await worker!.evaluate(async () => {
    const sw = self as unknown as { registration: ServiceWorkerRegistration; openFromNotification: (n: Notification) => Promise<unknown> };
    const [shown] = await sw.registration.getNotifications();
    await sw.openFromNotification(shown);
  });
  await expect(page).toHaveURL(new RegExp(`${itemPath}$`));
  await expect(page.getByTestId('number')).toBeVisible();
});

test('the account page offers pushes on this device only after a tap', async ({ page }) => {
  await signInAs(page, 'unit_head');
  await page.goto('/me');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const push = page.getByTestId('push-switch');
  // Nothing was asked on load: the permission is still undecided.
  expect(await page.evaluate(() => Notification.permission)).toBe('default');
  await expect(push).toHaveAttribute('data-state', 'off');
  await expect(push.getByRole('status')).toHaveText('此设备尚未接收推送。');
  await expect(push.getByRole('button', { name: '在此设备接收推送' })).toBeVisible();
});
