import { test, expect, chromium } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { signInAs } from './helpers';

test('the islands hydrate and the service worker takes control', async ({ page }) => {
  await page.goto('/login');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toMatch(/\/$/);
});

test('Chromium reports the app installable with no errors', async ({ baseURL }, info) => {
  // Installability is judged for a real profile, not an incognito-like test context.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-install-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...(info.project.use.launchOptions ?? {}),
    viewport: info.project.use.viewport,
    baseURL,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/login');
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    const manifest = await (await page.request.get('/manifest.webmanifest')).json();
    expect(manifest.display).toBe('standalone');
    expect(manifest.short_name).toBe('整改通');
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const { url, errors } = await cdp.send('Page.getAppManifest');
    expect(url).toContain('/manifest.webmanifest');
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test('with the network cut, the offline page shows', async ({ page, context }) => {
  await signInAs(page, 'unit_head');
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  // Reload once so this page is served under the service worker's control.
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await context.setOffline(true);
  await page.goto('/admin/units').catch(() => undefined);
  await expect(page.locator('h1')).toHaveText('当前处于离线状态');
  // A page opened before stays readable.
  await page.goto('/');
  await expect(page.locator('h1')).toContainText('您好');
  await context.setOffline(false);
});

test('once the session has ended, the pages kept for offline reading are gone', async ({ page, context }) => {
  await signInAs(page, 'unit_head');
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await page.goto('/inbox');
  const kept = () => page.evaluate(async () => {
    const names = (await caches.keys()).filter((k) => k.startsWith('rectify-pages-'));
    const counts = await Promise.all(names.map(async (k) => (await (await caches.open(k)).keys()).length));
    return counts.reduce((a, b) => a + b, 0);
  });
  await expect.poll(kept).toBeGreaterThan(0);
  // The server no longer knows this browser's session (as after 30 idle minutes or a
  // sign-out on another tab): the next page is the sign-in.
  await context.clearCookies();
  await page.goto('/inbox');
  await expect(page).toHaveURL(/\/login/);
  await expect.poll(kept).toBe(0);
  // Offline, the signed-in page is no longer shown from this device.
  await context.setOffline(true);
  await page.goto('/inbox').catch(() => undefined);
  await expect(page.locator('h1')).toHaveText('当前处于离线状态');
  await context.setOffline(false);
});
