import { expect, Page } from '@playwright/test';

export type Role =
  | 'central_office' | 'business_division' | 'district_office'
  | 'unit_head' | 'unit_handler' | 'partner' | 'administrator';

export interface Account { username: string; password: string }

/** Reads a demo account off the sign-in page, as a person trying the demo would. */
export async function demoAccount(page: Page, role: Role): Promise<Account> {
  await page.goto('/login');
  // Two partner departments have demo accounts: the first is the inspection office.
  const row = page.locator(`.demo-accounts tr[data-role="${role}"]`).first();
  const username = (await row.locator('[data-field="username"]').innerText()).trim();
  const password = (await row.locator('[data-field="password"]').innerText()).trim();
  expect(username).not.toBe('');
  expect(password).not.toBe('');
  return { username, password };
}

export async function signIn(page: Page, account: Account) {
  await page.goto('/login');
  await page.locator('input[name="username"]').fill(account.username);
  await page.locator('input[name="password"]').fill(account.password);
  await page.locator('form[action="/api/sign_in"] button[type="submit"]').click();
}

export async function signInAs(page: Page, role: Role): Promise<Account> {
  const account = await demoAccount(page, role);
  await signIn(page, account);
  await expect(page).toHaveURL(/\/$/);
  return account;
}

export async function signOut(page: Page) {
  await page.goto('/me');
  await page.locator('main form[action="/api/sign_out"] button').click();
  await expect(page).toHaveURL(/\/login/);
}

let counter = 0;
/** A username no other test (or project, or run) uses. */
export function freshUsername(prefix: string, projectName: string): string {
  counter += 1;
  const project = projectName.replace(/[^a-z]/g, '').slice(0, 8);
  return `${prefix}-${project}-${Date.now().toString(36)}${counter}`.slice(0, 32);
}

/** The administrator adds a unit handler of the first unit through the users screen. */
export async function adminCreatesUser(page: Page, username: string, password: string) {
  await signInAs(page, 'administrator');
  await page.goto('/admin/users');
  const form = page.getByTestId('create-user');
  await form.locator('input[name="user[username]"]').fill(username);
  await form.locator('input[name="user[display_name]"]').fill('测试用户');
  await form.locator('input[name="user[password]"]').fill(password);
  await form.locator('select[name="user[role]"]').selectOption('unit_handler');
  await form.locator('select[name="user[unit]"]').selectOption({ index: 1 });
  await form.locator('button[type="submit"]').click();
  await expect(page.getByRole('status')).toContainText('已保存');
  await expect(page.getByTestId('user-list')).toContainText(username);
  await signOut(page);
}

/**
 * A user whose password the administrator set lands on the password page at sign-in and
 * chooses their own; afterwards they are on their account page.
 */
export async function choosesOwnPassword(page: Page, current: string, chosen: string) {
  await expect(page).toHaveURL(/\/password/);
  await expect(page.getByTestId('password-required')).toBeVisible();
  const form = page.getByTestId('change-password');
  await form.locator('input[name="current_password"]').fill(current);
  await form.locator('input[name="new_password"]').fill(chosen);
  await form.locator('input[name="confirm_password"]').fill(chosen);
  await form.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/me\?password_changed=1/);
}

/** A demo account by its username (e.g. `orgdept`, the organisation department). */
export async function demoAccountNamed(page: Page, username: string): Promise<Account> {
  await page.goto('/login');
  const row = page.locator('.demo-accounts tr').filter({
    has: page.locator(`[data-field="username"]`, { hasText: new RegExp(`^${username}$`) }),
  });
  const password = (await row.locator('[data-field="password"]').innerText()).trim();
  expect(password).not.toBe('');
  return { username, password };
}

/** A date `days` from today in Shanghai (the server's calendar), as YYYY-MM-DD. */
export function shanghaiInDays(days: number): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

export interface ItemFields {
  category: string;
  source?: string;
  description: string;
  quantity?: string;
  foundOn: string;
  deadline: string;
}

/** Fill in and send the registration form (the caller is signed in as the central office). */
export async function submitRegistration(page: Page, item: ItemFields) {
  await page.goto('/ledger/new');
  const form = page.getByTestId('register-form');
  await form.locator('select[name="item[unit]"]').selectOption({ label: '海陵区 · 海陵区教育局' });
  await form.locator('select[name="item[source]"]').selectOption(item.source ?? 'inspection_tour');
  await form.locator('select[name="item[category]"]').selectOption(item.category);
  await form.locator('select[name="item[nature]"]').selectOption('violation');
  await form.locator('textarea[name="item[description]"]').fill(item.description);
  if (item.quantity) await form.locator('input[name="item[quantity]"]').fill(item.quantity);
  await form.locator('input[name="item[found_on]"]').fill(item.foundOn);
  await form.locator('input[name="item[deadline]"]').fill(item.deadline);
  await form.locator('input[name="item[head_name]"]').fill('周志明');
  await form.locator('button[type="submit"]').click();
}
