import { test, expect, Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { signInAs } from './helpers';

const PHOTO = fs.readFileSync(path.resolve(process.cwd(), '../app/src/demo/evidence.png'));

/** A date in Shanghai, `days` from today, as a date input takes it. */
function shanghaiDate(days = 0): string {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

/** The central office creates a look-back campaign over 海陵区 and opens it. */
async function openCampaign(page: Page, name: string) {
  await signInAs(page, 'central_office');
  await page.goto('/campaigns/new');
  const form = page.getByTestId('campaign-form');
  await form.locator('input[name="name"]').fill(name);
  await form.locator('select[name="kind"]').selectOption('look_back');
  await form.locator('input[name="opens"]').fill(shanghaiDate());
  await form.locator('input[name="closes"]').fill(shanghaiDate(14));
  await form.getByRole('checkbox', { name: '海陵区', exact: true }).check();
  await form.locator('select[name="q-0-kind"]').selectOption('yes_no');
  await form.locator('input[name="q-0-label"]').fill('是否已完成自查');
  await form.locator('input[name="q-0-required"]').check();
  await form.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/campaigns\/[a-z0-9]+\?created=1/);
  await page.getByTestId('campaign-step').click();
  await expect(page.getByTestId('campaign-state')).toContainText('进行中');
}

async function drafts(page: Page): Promise<number> {
  return page.evaluate(() => new Promise<number>((resolve) => {
    const req = indexedDB.open('rectify', 1);
    req.onsuccess = () => {
      const db = req.result;
      const count = db.transaction('drafts').objectStore('drafts').count();
      count.onsuccess = () => { db.close(); resolve(count.result); };
    };
  }));
}

test('a district office fills its return offline, it is sent once, and the new problem reaches the ledger', async ({ page, context, browser, baseURL }) => {
  const stamp = Date.now().toString(36);
  const name = `回头看-${stamp}`;
  const problem = `自查发现编外聘用 3 人 ${stamp}`;

  const centralContext = await browser.newContext({ baseURL });
  const central = await centralContext.newPage();
  await openCampaign(central, name);

  // The district office, on its phone, opens its return while online.
  await signInAs(page, 'district_office');
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await page.goto('/campaigns');
  await page.locator('li', { hasText: name }).getByTestId('my-return').click();
  await expect(page).toHaveURL(/\/returns\/[a-z0-9]+$/);
  const returnUrl = page.url();
  await expect(page.getByTestId('offline-panel')).toHaveAttribute('data-ready', 'true');

  // The network goes; the return is filled, with a new problem and its photo.
  await context.setOffline(true);
  const items = page.locator('fieldset.item-report');
  const count = await items.count();
  for (let i = 0; i < count; i++) {
    await items.nth(i).locator('input[value="in_progress"]').check();
  }
  await page.locator('input[name="answer-q0"][value="yes"]').check();
  const row = page.locator('fieldset.new-problem[data-row="0"]');
  await row.locator('select[name="new-0-unit"]').selectOption({ label: '海陵区教育局' });
  await row.locator('textarea[name="new-0-description"]').fill(problem);
  await row.locator('input[name="new-0-deadline"]').fill(shanghaiDate(90));
  await row.locator('input[name="new-0-head"]').fill('张局长');
  await row.locator('input[name="new-0-photo"]').setInputFiles({ name: '现场.png', mimeType: 'image/png', buffer: PHOTO });
  await expect(page.getByTestId('offline-status')).toHaveText('已保存在本机(尚未发送)。');

  // A missing answer is named on the phone, before anything is queued.
  await page.locator('input[name="answer-q0"][value="yes"]').evaluate((el: HTMLInputElement) => { el.checked = false; });
  await page.getByTestId('submit-return').click();
  await expect(page.getByTestId('draft-problems')).toContainText('是否已完成自查: 必填');
  await page.locator('input[name="answer-q0"][value="yes"]').check();

  await page.getByTestId('submit-return').click();
  await expect(page.getByTestId('offline-status')).toHaveText('待发送:联网后自动发送。');
  await expect(page.getByTestId('offline-waiting')).toHaveText('本机有 1 份待发送');

  // Reloaded while offline: the page comes from the service worker, the draft from the device.
  await page.reload();
  await expect(page.getByTestId('offline-panel')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('offline-waiting')).toHaveText('本机有 1 份待发送');
  await expect(page.locator('textarea[name="new-0-description"]')).toHaveValue(problem);
  await expect(page.locator('input[name="answer-q0"][value="yes"]')).toBeChecked();
  expect(await drafts(page)).toBe(1);

  // The network returns: the draft is sent (the page's own try and the button may race;
  // the id made on the device keeps it to one) and leaves the device once confirmed.
  // When the page's own try was quicker, it has moved on and the button is gone: the
  // click must not wait for it (it waited out the test's minute, 1 run in 3).
  await context.setOffline(false);
  await page.getByTestId('send-now').click({ timeout: 2_000 }).catch(() => undefined);
  await expect(page.getByTestId('sent-notice')).toHaveAttribute('data-sent', 'submitted');
  await expect(page.getByTestId('return-state')).toHaveAttribute('data-state', 'submitted');
  expect(await drafts(page)).toBe(0);

  // The central office reads it beside the ledger and accepts it.
  await central.goto(returnUrl);
  await expect(central.getByTestId('new-problems')).toContainText(problem);
  await expect(central.getByTestId('return-items').locator('img.thumb')).toHaveCount(0);
  await expect(central.getByTestId('new-problems').locator('img.thumb')).toHaveCount(1);
  await central.getByTestId('accept-return').click();
  await expect(central.getByTestId('registered')).toContainText('已登记入台账');

  // Exactly one new item, with source 自查回头看.
  await central.goto(`/ledger?source=look_back&q=${encodeURIComponent(stamp)}`);
  await expect(central.getByTestId('ledger-total')).toContainText('共 1 项');
  await central.getByTestId('ledger-table').locator('tbody a').first().click();
  await expect(central.locator('main')).toContainText(problem);
  await expect(central.locator('main')).toContainText('自查回头看');
  await centralContext.close();
});
