import { test, expect } from '@playwright/test';
import { adminCreatesUser, choosesOwnPassword, freshUsername, signIn, signOut } from './helpers';

test('Simplified Chinese is the default, whatever the browser prefers', async ({ page }) => {
  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
  await expect(page.locator('h1')).toHaveText('登录');
});

test('the language switch changes the page, survives a reload and follows the user', async ({ page, browser }, info) => {
  const username = freshUsername('lang', info.project.name);
  const given = 'Language-switch-7';
  const password = 'Chosen-by-me-8';
  await adminCreatesUser(page, username, given);
  await signIn(page, { username, password: given });
  await choosesOwnPassword(page, given, password);
  await page.goto('/');
  await expect(page.locator('h1')).toContainText('您好');

  await page.getByTestId('language-switch').first().click();
  await expect(page.locator('h1')).toContainText('Hello');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('.appnav')).toContainText('Home');

  await page.reload();
  await expect(page.locator('h1')).toContainText('Hello');

  // A new device (a fresh browser context) gets the user's language at sign-in.
  const other = await browser.newContext({ ...info.project.use });
  const phone = await other.newPage();
  await signIn(phone, { username, password });
  await expect(phone.locator('h1')).toContainText('Hello');
  await expect(phone.getByTestId('role')).toHaveText('Unit contact');
  await other.close();

  // And back.
  await page.getByTestId('language-switch').first().click();
  await expect(page.locator('h1')).toContainText('您好');
  await signOut(page);
});

test('the sign-in page switches language before signing in', async ({ page }) => {
  await page.goto('/login');
  await page.getByTestId('language-switch').click();
  await expect(page.locator('h1')).toHaveText('Sign in');
  await signIn(page, { username: 'nobody-at-all', password: 'nothing12' });
  await expect(page.getByRole('alert')).toContainText('Wrong username or password');
  await page.getByTestId('language-switch').click();
  await expect(page.locator('h1')).toHaveText('登录');
});
