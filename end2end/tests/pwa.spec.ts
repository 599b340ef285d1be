import { test, expect } from '@playwright/test';
import { signInAs } from './helpers';

test('the islands hydrate and the service worker takes control', async ({ page }) => {
  await page.goto('/login');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toMatch(/\/$/);
});

test('Chromium reports the app installable with no errors', async ({ page, context }) => {
  await page.goto('/login');
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  const manifest = await (await page.request.get('/manifest.webmanifest')).json();
  expect(manifest.display).toBe('standalone');
  expect(manifest.short_name).toBe('整改通');
  const cdp = await context.newCDPSession(page);
  const { errors } = await cdp.send('Page.getInstallabilityErrors');
  expect(errors).toEqual([]);
  const { url, errors: manifestErrors } = await cdp.send('Page.getAppManifest') as any;
  expect(url).toContain('/manifest.webmanifest');
  expect(manifestErrors).toEqual([]);
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
