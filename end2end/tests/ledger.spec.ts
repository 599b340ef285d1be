import { test, expect, Page } from '@playwright/test';
import { demoAccountNamed, shanghaiInDays, signIn, signInAs, signOut, submitRegistration } from './helpers';

// A 16×16 PNG, as a phone camera would hand over a (much larger) photo.
const PHOTO = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000010000000100802000000909168360000001649444154789c6390cb3b41' +
    '126218d530aa61f86a0000178854105e93b9fa0000000049454e44ae426082',
  'hex',
);


async function openItemFromHome(page: Page, number: string) {
  await page.goto('/');
  const card = page.getByTestId('my-items').locator(`li[data-number="${number}"]`);
  await expect(card).toBeVisible();
  await card.locator('a').click();
  await expect(page.getByTestId('number')).toHaveText(number);
}

test('an item goes from registration to closed on time', async ({ page }, info) => {
  test.setTimeout(240_000);
  const tag = `E2E-${info.project.name}-${Date.now().toString(36)}`;
  const deadline = shanghaiInDays(60);

  // The central office registers the item and issues it to the unit.
  await signInAs(page, 'central_office');
  await submitRegistration(page, {
    category: 'irregular_hiring',
    description: `违规使用编外人员 2 名 ${tag}`,
    quantity: '2',
    foundOn: shanghaiInDays(-3),
    deadline,
  });
  await expect(page.getByTestId('saved')).toBeVisible();
  await expect(page.getByTestId('status')).toHaveText('登记');
  const number = (await page.getByTestId('number').innerText()).trim();
  expect(number).toMatch(/^\d{4}-TZ-\d{4}$/);
  await page.getByTestId('primary-action').click();
  await expect(page.getByTestId('status')).toHaveText('已交办');
  await signOut(page);

  // The unit head acknowledges and submits a reverse-scheduled plan.
  await signInAs(page, 'unit_head');
  await openItemFromHome(page, number);
  await expect(page.getByTestId('primary-action')).toHaveText('签收');
  await page.getByTestId('primary-action').click();
  await expect(page.getByTestId('status')).toHaveText('已签收');
  const plan = page.getByTestId('plan-form');
  const dues = await plan.locator('input[type="date"]').evaluateAll((els) =>
    els.map((e) => (e as HTMLInputElement).value),
  );
  expect(dues).toHaveLength(3);
  expect(dues[2]).not.toBe('');
  expect(dues[2] <= deadline).toBe(true);
  expect(dues[0] <= dues[1] && dues[1] <= dues[2]).toBe(true);
  for (const due of dues) {
    const day = new Date(`${due}T00:00:00Z`).getUTCDay();
    expect(day === 0 || day === 6).toBe(false);
  }
  await plan.locator('textarea[name="plan[measures][0][what]"]').fill('清退违规使用的编外人员');
  await plan.locator('input[name="plan[measures][0][owner]"]').fill('王强');
  await plan.locator('textarea[name="plan[measures][1][what]"]').fill('建立编外用工审批制度');
  await plan.locator('input[name="plan[measures][1][owner]"]').fill('周志明');
  await plan.locator('button[type="submit"]').click();
  await expect(page.getByTestId('status')).toHaveText('方案审核');
  await expect(page.getByTestId('measures')).toContainText('王强');
  await signOut(page);

  // The central office approves the plan.
  await signInAs(page, 'central_office');
  await page.goto(`/ledger?q=${tag}`);
  await page.getByTestId('ledger-table').locator(`tr[data-number="${number}"] a`).click();
  await expect(page.getByTestId('primary-action')).toHaveText('通过方案');
  await page.getByTestId('primary-action').click();
  await expect(page.getByTestId('status')).toHaveText('整改中');
  await signOut(page);

  // The unit head reports progress with a photo and asks for closure.
  await signInAs(page, 'unit_head');
  await openItemFromHome(page, number);
  const progress = page.getByTestId('progress-form');
  await progress.locator('textarea[name="text"]').fill('2 名编外人员已全部清退,审批制度已印发');
  await progress.locator('input[name="remaining"]').fill('0');
  await progress.locator('input[name="files"]').setInputFiles({ name: '现场照片.png', mimeType: 'image/png', buffer: PHOTO });
  await progress.locator('button[type="submit"]').click();
  await expect(page.getByTestId('saved')).toBeVisible();
  const thumb = page.getByTestId('progress-list').locator('img.thumb');
  await expect(thumb).toHaveCount(1);
  const src = await thumb.getAttribute('src');
  const photo = await page.request.get(src ?? '');
  expect(photo.status()).toBe(200);
  expect(photo.headers()['content-type']).toBe('image/png');
  await expect(page.getByTestId('remaining')).toHaveText('0');
  const closure = page.getByTestId('closure-form');
  await closure.locator('textarea[name="note"]').fill('整改到位,申请销号');
  await closure.locator('button[type="submit"]').click();
  await expect(page.getByTestId('status')).toHaveText('申请销号');
  await signOut(page);

  // Each co-signer finds it in the acceptance queue and passes it.
  const coSigners = [
    async () => signInAs(page, 'central_office'),
    async () => signInAs(page, 'partner'),
    async () => {
      await signIn(page, await demoAccountNamed(page, 'orgdept'));
      await expect(page).toHaveURL(/\/$/);
    },
  ];
  for (const signInCoSigner of coSigners) {
    await signInCoSigner();
    await page.goto('/acceptance');
    await page.getByTestId('acceptance-queue').locator(`li[data-number="${number}"] a`).click();
    const sign = page.getByTestId('co-sign-form');
    await sign.locator('textarea[name="opinion"]').fill('经核查,整改到位');
    await sign.locator('button[value="pass"]').click();
    await expect(page.getByTestId('saved')).toBeVisible();
    await signOut(page);
  }

  // Closed, and on time; the central ledger's filters find it; the history verifies.
  await signInAs(page, 'central_office');
  await page.goto(`/ledger?q=${tag}&status=closed&category=irregular_hiring`);
  await expect(page.getByTestId('ledger-total')).toHaveText('共 1 项');
  const row = page.getByTestId('ledger-table').locator(`tr[data-number="${number}"]`);
  await expect(row).toContainText('已销号');
  await expect(row).toContainText('按期销号');
  await page.goto(`/ledger?q=${tag}&status=in_rectification`);
  await expect(page.getByTestId('ledger-empty')).toBeVisible();
  await page.goto(`/ledger?q=${tag}&status=closed`);
  await row.locator('a').click();
  await expect(page.getByTestId('status')).toHaveText('已销号');
  await expect(page.getByTestId('chip')).toHaveText('按期销号');
  await expect(page.getByTestId('co-signers').locator('li')).toHaveCount(3);
  await expect(page.getByTestId('timeline').locator('li')).toHaveCount(10);
  await page.goto('/ledger/history');
  await expect(page.getByTestId('history-intact')).toContainText('哈希链完整');
});

test('a unit head cannot open another unit\'s item, nor its evidence', async ({ page }) => {
  // An item of 高港区 from the demo ledger, found by the central office.
  await signInAs(page, 'central_office');
  await page.goto('/ledger?status=in_rectification');
  const hrefs = await page.getByTestId('ledger-table').locator('td.mono a').evaluateAll((as) =>
    as.map((a) => (a as HTMLAnchorElement).getAttribute('href')),
  );
  const rows = page.getByTestId('ledger-table').locator('tbody tr');
  let foreign: string | null = null;
  for (let i = 0; i < (await rows.count()); i++) {
    if (!(await rows.nth(i).innerText()).includes('海陵区教育局')) {
      foreign = hrefs[i];
      break;
    }
  }
  expect(foreign).not.toBeNull();
  await page.goto(foreign ?? '/');
  const evidence = await page.getByTestId('progress-list').locator('img.thumb').first().getAttribute('src');
  expect(evidence).toMatch(/^\/files\//);
  expect((await page.request.get(evidence ?? '')).status()).toBe(200);
  await signOut(page);
  await signInAs(page, 'unit_head');
  const res = await page.goto(foreign ?? '/');
  expect(res?.status()).toBe(404);
  await expect(page.locator('main')).not.toContainText('第一责任人');
  expect((await page.request.get(evidence ?? '')).status()).toBe(404);
  // The ledger is not theirs to browse either: their own items only.
  await page.goto('/ledger');
  await expect(page.getByTestId('ledger-table').locator('tbody tr')).not.toHaveCount(0);
  const units = await page.getByTestId('ledger-table').locator('tbody tr').allInnerTexts();
  for (const u of units) expect(u).toContain('海陵区教育局');
});

test('bad input on registration is named and nothing is registered', async ({ page }) => {
  await signInAs(page, 'central_office');
  await submitRegistration(page, {
    category: 'excess_leaders',
    description: '超职数配备副职 1 名 坏输入',
    foundOn: shanghaiInDays(-1),
    deadline: shanghaiInDays(-30),
  });
  await expect(page).toHaveURL(/\/ledger\/new/);
  await expect(page.getByRole('alert')).toContainText('“整改期限”的日期太早');
  // What was typed is kept.
  await expect(page.locator('textarea[name="item[description]"]')).toHaveValue('超职数配备副职 1 名 坏输入');
  await page.goto('/ledger?q=坏输入');
  await expect(page.getByTestId('ledger-empty')).toBeVisible();
});
