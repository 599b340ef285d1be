import { test, expect, Page } from '@playwright/test';
import { signInAs, signOut } from './helpers';

function shanghaiDate(days = 0): string {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

/** Every attached item of the return gets a status (in progress). */
async function fillStatuses(page: Page) {
  const items = page.locator('fieldset.item-report');
  const count = await items.count();
  for (let i = 0; i < count; i++) {
    await items.nth(i).locator('input[value="in_progress"]').check();
  }
}

test('a special campaign: returned with comments, accepted, targets counted, a visit recorded (JS on and off)', async ({ page }) => {
  const stamp = Date.now().toString(36);
  const name = `清理规范编外用工-${stamp}`;

  // The central office creates a special campaign with a target, over 海陵区, and opens it.
  await signInAs(page, 'central_office');
  await page.goto('/campaigns/new');
  const form = page.getByTestId('campaign-form');
  await form.locator('input[name="name"]').fill(name);
  await form.locator('select[name="kind"]').selectOption('special');
  await form.locator('input[name="opens"]').fill(shanghaiDate());
  await form.locator('input[name="closes"]').fill(shanghaiDate(10));
  await form.getByRole('checkbox', { name: '海陵区', exact: true }).check();
  await form.locator('select[name="q-0-kind"]').selectOption('number');
  await form.locator('input[name="q-0-label"]').fill('编外人员总数');
  await form.locator('input[name="q-0-required"]').check();
  await form.locator('input[name="t-0-label"]').fill('清退编外人员');
  await form.locator('input[name="t-0-goal"]').fill('211');
  await form.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/campaigns\/[a-z0-9]+\?created=1/);
  const campaignUrl = page.url().replace(/\?.*$/, '');
  await page.getByTestId('campaign-step').click();
  await expect(page.getByTestId('campaign-state')).toContainText('进行中');
  await expect(page.getByTestId('progress').locator('tr[data-standing="pending"]')).toHaveCount(1);
  await signOut(page);

  // The district office: a bad number is named, then the return is submitted.
  await signInAs(page, 'district_office');
  await page.goto('/campaigns');
  await page.locator('li', { hasText: name }).getByTestId('my-return').click();
  await expect(page).toHaveURL(/\/returns\/[a-z0-9]+$/);
  const returnUrl = page.url();
  await fillStatuses(page);
  await page.locator('input[name="answer-q0"]').fill('很多');
  await page.locator('input[name="target-t0"]').fill('50');
  await page.getByTestId('submit-return').click();
  await expect(page.locator('[data-testid="draft-problems"], [data-testid="form-problems"]')).toContainText('格式不对');
  await page.goto(returnUrl);
  await fillStatuses(page);
  await page.locator('input[name="answer-q0"]').fill('37');
  await page.locator('input[name="target-t0"]').fill('50');
  await page.getByTestId('submit-return').click();
  await expect(page.getByTestId('sent-notice')).toHaveAttribute('data-sent', 'submitted');
  await signOut(page);

  // The central office sends it back with comments.
  await signInAs(page, 'central_office');
  await page.goto(returnUrl);
  await page.getByTestId('review').locator('textarea[name="comments"]').fill('请补充清退佐证');
  await page.getByTestId('send-back').click();
  await expect(page.getByTestId('return-state')).toHaveAttribute('data-state', 'returned');
  await signOut(page);

  // The district office sees why, and submits again.
  await signInAs(page, 'district_office');
  await page.goto(returnUrl);
  await expect(page.getByTestId('return-comments')).toContainText('请补充清退佐证');
  await expect(page.locator('input[name="answer-q0"]')).toHaveValue('37');
  await page.locator('input[name="target-t0"]').fill('60');
  await page.getByTestId('submit-return').click();
  await expect(page.getByTestId('sent-notice')).toHaveAttribute('data-sent', 'submitted');
  await signOut(page);

  // Accepted; the campaign counts the target; a visit is planned for the district office.
  await signInAs(page, 'central_office');
  await page.goto(returnUrl);
  await page.getByTestId('accept-return').click();
  await expect(page.getByTestId('return-state')).toHaveAttribute('data-state', 'accepted');
  await page.goto(campaignUrl);
  await expect(page.getByTestId('targets')).toContainText('60 / 211');
  await expect(page.getByTestId('summaries')).toContainText('合计 37');
  const plan = page.getByTestId('plan-verification');
  await plan.locator('input[name="items"]').first().check();
  await plan.locator('select[name="verifier"]').selectOption({ label: '王海燕' });
  await plan.locator('button[type="submit"]').click();
  await expect(page.getByTestId('verifications')).toContainText('待核查');
  await signOut(page);

  // The verifier records the visit; the item keeps the check.
  await signInAs(page, 'district_office');
  await page.goto('/campaigns');
  await page.getByTestId('my-visits').locator('li', { hasText: name }).locator('a').click();
  const visit = page.getByTestId('verification-form');
  await visit.locator('input[name="people"]').fill('王海燕、单位负责人');
  await visit.locator('input[value="partly"]').first().check();
  await visit.locator('textarea[name^="fnote-"]').first().fill('仍有 1 人未清退');
  await page.getByTestId('record-visit').click();
  await expect(page.getByTestId('sent-notice')).toHaveAttribute('data-sent', 'submitted');
  await expect(page.getByTestId('visit-record')).toContainText('部分属实');
  await page.getByTestId('visit-record').locator('a').first().click();
  await expect(page.getByTestId('item-checks')).toContainText('实地核查 · 部分属实');
  await expect(page.getByTestId('item-checks')).toContainText('回头看 · 正在整改');
});
