import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { signInAs } from './helpers';

const fixtures = path.resolve(process.cwd(), '../app/tests/fixtures');

// The demo ledger by district (the other specs register only in 海陵区, so these stay).
test('the dashboard shows the seed and each figure opens exactly its items', async ({ page }) => {
  await signInAs(page, 'central_office');
  await page.getByRole('link', { name: '统计' }).first().click();
  await expect(page).toHaveURL(/\/dashboard/);
  const districts = page.getByTestId('split-district');
  const row = (name: string) => districts.locator('tbody tr').filter({ hasText: name });
  const figures = async (name: string) => Promise.all(
    ['found', 'closed', 'on_time', 'open'].map(async (f) => (await row(name).locator(`a[data-figure="${f}"]`).innerText()).trim()),
  );
  expect(await figures('兴化市')).toEqual(['17', '9', '8', '8']);
  expect(await figures('泰兴市')).toEqual(['23', '8', '8', '15']);
  // The chart is drawn on the server: one linked bar per district, nothing fetched.
  await expect(page.getByTestId('chart-districts').locator('svg a')).toHaveCount(7);
  await expect(page.getByTestId('chart-trend').locator('svg rect').first()).toBeVisible();

  await row('兴化市').locator('a[data-figure="open"]').click();
  await expect(page).toHaveURL(/\/ledger\?district=[^&]+&status=open/);
  await expect(page.getByTestId('ledger-total')).toHaveText('共 8 项');

  await page.goto('/dashboard');
  const found = (await page.getByTestId('total-found').locator('.stat-value').innerText()).trim();
  await page.getByTestId('total-found').click();
  await expect(page.getByTestId('ledger-total')).toHaveText(`共 ${found} 项`);
});

test('the central office freezes the figures and reads the snapshot back', async ({ page }) => {
  await signInAs(page, 'central_office');
  await page.goto('/dashboard');
  await page.getByRole('button', { name: '冻结当前数据' }).click();
  await expect(page.getByRole('status')).toContainText('已冻结当前数据');
  const snapshots = page.getByTestId('snapshots');
  await snapshots.locator('select').selectOption({ index: 1 });
  await snapshots.getByRole('button', { name: '查看' }).click();
  await expect(page).toHaveURL(/snapshot=/);
  await expect(page.getByTestId('as-of')).toContainText('冻结的数据');
  await expect(page.getByTestId('split-district').locator('tbody tr').filter({ hasText: '泰兴市' }).locator('a[data-figure="found"]')).toHaveText('23');
});

test('the ledger goes out to Excel, and a sheet comes in after its check', async ({ page }) => {
  await signInAs(page, 'central_office');
  await page.goto('/ledger?status=closed');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-ledger').click()]);
  expect(download.suggestedFilename()).toMatch(/^问题台账-\d{4}-\d{2}-\d{2}\.xlsx$/);
  const bytes = fs.readFileSync(await download.path());
  expect(bytes.subarray(0, 2).toString()).toBe('PK');

  // A sheet with mistakes: each named with its row, nothing imported.
  await page.goto('/ledger/import');
  await page.getByTestId('import-form').locator('input[type="file"]').setInputFiles(path.join(fixtures, 'ledger-bad-rows.xlsx'));
  await page.getByRole('button', { name: '上传并检查' }).click();
  const problems = page.getByTestId('import-problems');
  await expect(problems.locator('li[data-row="3"]')).toContainText('第 3 行');
  await expect(problems.locator('li[data-row="3"]')).toContainText('单位不存在');
  await expect(problems.locator('li[data-row="4"]')).toContainText('日期无法识别');
  await expect(page.getByTestId('confirm-import')).toHaveCount(0);

  // A sheet another program wrote: checked, then imported in one go.
  await page.getByTestId('import-form').locator('input[type="file"]').setInputFiles(path.join(fixtures, 'ledger-openpyxl.xlsx'));
  await page.getByRole('button', { name: '上传并检查' }).click();
  await expect(page.getByTestId('import-summary')).toContainText('可导入 2 条,发现 0 处问题');
  await page.getByTestId('confirm-import').click();
  await expect(page.getByRole('status')).toContainText('已导入');
  await expect(page.getByTestId('import-numbers')).toContainText('已导入 2 条');
});
