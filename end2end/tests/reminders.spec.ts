import { test, expect } from '@playwright/test';
import { shanghaiInDays, signInAs, signOut, submitRegistration } from './helpers';


test('a deadline seven days away reaches the unit head\'s inbox and tab bar', async ({ page }, info) => {
  test.setTimeout(120_000);
  const tag = `REM-${info.project.name}-${Date.now().toString(36)}`;
  await signInAs(page, 'central_office');
  await submitRegistration(page, {
    category: 'invented_titles',
    source: 'staffing_check',
    description: `自行设置“总监”职务名称 ${tag}`,
    foundOn: shanghaiInDays(-10),
    deadline: shanghaiInDays(7),
  });
  const number = (await page.getByTestId('number').innerText()).trim();
  await page.getByTestId('primary-action').click();
  await expect(page.getByTestId('status')).toHaveText('已交办');
  await signOut(page);

  await signInAs(page, 'unit_head');
  // The scheduler runs every 2 s in the test server: the T-7 reminder arrives shortly.
  const entry = page.getByTestId('inbox').locator(`li[data-number="${number}"][data-rule="deadline_t7"]`);
  await expect(async () => {
    await page.goto('/inbox');
    await expect(entry).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(entry).toContainText('距整改期限还有 7 天');
  const badge = page.getByTestId('unread-count');
  const before = Number(await badge.innerText());
  expect(before).toBeGreaterThan(0);
  await entry.getByRole('button', { name: '标为已读' }).click();
  await expect(page).toHaveURL(/\/inbox/);
  await expect(entry.getByRole('button', { name: '标为已读' })).toHaveCount(0);
  if (before > 1) {
    await expect(page.getByTestId('unread-count')).toHaveText(String(before - 1));
  } else {
    await expect(page.getByTestId('unread-count')).toHaveCount(0);
  }
  await entry.locator('a').click();
  await expect(page.getByTestId('number')).toHaveText(number);
  // The item keeps the proof: who was reminded of what, and that it was read.
  const sent = page.getByTestId('reminders-sent').locator('li[data-rule="deadline_t7"]');
  await expect(sent.filter({ hasText: '周志明' })).toContainText('已读');
});

test('the administrator edits a rung of the ladder; bad input is named', async ({ page }) => {
  await signInAs(page, 'administrator');
  await page.goto('/admin/reminders');
  const rung = page.getByTestId('ladder').locator('form[data-rule="deadline_t30"]');
  await rung.locator('input[name="rung[offset_days]"]').fill('abc');
  await rung.locator('button[type="submit"]').click();
  await expect(page.getByRole('alert')).toContainText('相对天数');
  const again = page.getByTestId('ladder').locator('form[data-rule="deadline_t30"]');
  await again.locator('input[name="rung[offset_days]"]').fill('-20');
  await again.locator('input[name="rung[unit_handler]"]').uncheck();
  await again.locator('button[type="submit"]').click();
  await expect(page.getByRole('status')).toContainText('已保存');
  const saved = page.getByTestId('ladder').locator('form[data-rule="deadline_t30"]');
  await expect(saved.locator('input[name="rung[offset_days]"]')).toHaveValue('-20');
  await expect(saved.locator('input[name="rung[unit_handler]"]')).not.toBeChecked();
  await expect(saved.locator('input[name="rung[unit_head]"]')).toBeChecked();
  // Put it back for the other projects' runs.
  await saved.locator('input[name="rung[offset_days]"]').fill('-30');
  await saved.locator('input[name="rung[unit_handler]"]').check();
  await saved.locator('button[type="submit"]').click();
  await expect(page.getByRole('status')).toContainText('已保存');
});
