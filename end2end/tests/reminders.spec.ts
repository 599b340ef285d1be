import { test, expect } from '@playwright/test';
import * as http from 'node:http';
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

test('the administrator connects a WeChat Work group and a test message reaches it', async ({ page }, info) => {
  test.setTimeout(90_000);
  // A group robot on loopback, answering as WeChat Work does.
  const received: { url: string; type: string; body: any }[] = [];
  const robot = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ url: req.url ?? '', type: String(req.headers['content-type']), body: JSON.parse(body) });
      res.setHeader('content-type', 'application/json');
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((resolve) => robot.listen(0, '127.0.0.1', () => resolve()));
  const port = (robot.address() as { port: number }).port;
  const key = `K${Date.now().toString(36)}`;
  const name = `测试群 ${info.project.name}`;
  try {
    await signInAs(page, 'administrator');
    await page.goto('/admin/reminders');
    await page.getByRole('link', { name: '提醒渠道' }).click();
    await expect(page).toHaveURL(/\/admin\/channels/);
    const form = page.getByTestId('add-channel');
    await form.locator('select[name="channel[kind]"]').selectOption('wecom');
    await form.locator('input[name="channel[name]"]').fill(name);
    await form.locator('input[name="channel[url]"]').fill(`http://127.0.0.1:${port}/cgi-bin/webhook/send?key=${key}`);
    await form.getByRole('button', { name: '添加渠道' }).click();
    await expect(page.getByRole('status')).toContainText('已添加');
    const card = page.getByTestId('channels').locator(`li[data-name="${name}"]`);
    await expect(card).toContainText('全市');
    // The robot's key is a secret: the page does not show it.
    await expect(card).not.toContainText(key);
    await card.getByRole('button', { name: '发送测试消息' }).click();
    await expect(page.getByRole('status')).toContainText('测试消息已排队');
    // The scheduler (every 2 s here) sends it: the documented markdown message.
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(1);
    expect(received[0].url).toBe(`/cgi-bin/webhook/send?key=${key}`);
    expect(received[0].type).toContain('application/json');
    expect(received[0].body.msgtype).toBe('markdown');
    expect(received[0].body.markdown.content).toContain('整改通测试消息');
    // The delivery log proves it.
    await expect(async () => {
      await page.goto('/admin/channels');
      await expect(page.getByTestId('deliveries').locator('li[data-state="sent"]').filter({ hasText: name }))
        .toHaveCount(1, { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await page.getByTestId('channels').locator(`li[data-name="${name}"]`).getByRole('button', { name: '删除' }).click();
    await expect(page.getByRole('status')).toContainText('已删除');
    await expect(page.getByTestId('channels').locator(`li[data-name="${name}"]`)).toHaveCount(0);
  } finally {
    robot.close();
  }
});

test('quiet hours are the administrator\'s to set', async ({ page }) => {
  await signInAs(page, 'administrator');
  await page.goto('/admin/channels');
  const quiet = page.getByTestId('quiet-hours');
  await expect(quiet.locator('input[name="quiet_from"]')).toHaveValue('22:00');
  await quiet.locator('input[name="quiet_until"]').fill('08:00');
  await quiet.getByRole('button', { name: '保存' }).click();
  await expect(page.getByRole('status')).toContainText('已保存');
  await expect(page.getByTestId('quiet-hours').locator('input[name="quiet_until"]')).toHaveValue('08:00');
  await page.getByTestId('quiet-hours').locator('input[name="quiet_until"]').fill('07:30');
  await page.getByTestId('quiet-hours').getByRole('button', { name: '保存' }).click();
  await expect(page.getByTestId('quiet-hours').locator('input[name="quiet_until"]')).toHaveValue('07:30');
});
