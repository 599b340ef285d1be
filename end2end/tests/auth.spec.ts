import { test, expect } from '@playwright/test';
import { Role, adminCreatesUser, choosesOwnPassword, demoAccount, freshUsername, signIn, signInAs, signOut } from './helpers';

// What each role's home says about who they are (Simplified Chinese by default).
const homes: { role: Role; roleLabel: string; section: string }[] = [
  { role: 'central_office', roleLabel: '市委编办监督检查处', section: '全市概况' },
  { role: 'business_division', roleLabel: '业务处室', section: '本处室监督的事项' },
  { role: 'district_office', roleLabel: '市(区)编办', section: '本地区单位' },
  { role: 'unit_head', roleLabel: '单位主要负责人', section: '我的整改事项' },
  { role: 'unit_handler', roleLabel: '单位联络员', section: '我的整改事项' },
  { role: 'partner', roleLabel: '协作部门', section: '共享给本部门的事项' },
  { role: 'administrator', roleLabel: '系统管理员', section: '管理事项' },
];

for (const { role, roleLabel, section } of homes) {
  test(`${role} signs in and lands on their home`, async ({ page }) => {
    await signInAs(page, role);
    await expect(page.locator('h1')).toContainText('您好');
    await expect(page.getByTestId('role')).toHaveText(roleLabel);
    await expect(page.locator('main')).toContainText(section);
    await signOut(page);
    await expect(page.getByRole('status')).toContainText('您已退出登录');
    // Signed out means signed out: the home page sends us back to sign in.
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
  });
}

test('the district office sees the units of its own district only', async ({ page }) => {
  await signInAs(page, 'district_office');
  await expect(page.getByTestId('scope')).toHaveText('海陵区');
  await expect(page.getByTestId('district-unit-count')).toHaveText('本地区共有 9 个单位');
  await expect(page.locator('main')).toContainText('海陵区教育局');
  await expect(page.locator('main')).not.toContainText('高港区');
});

test('the central office sees the real size of the demo city', async ({ page }) => {
  await signInAs(page, 'central_office');
  await expect(page.getByTestId('count-districts')).toHaveText('地区 7 个');
  await expect(page.getByTestId('count-units')).toHaveText('单位 62 个');
});

test('a wrong password says so and keeps the username', async ({ page }) => {
  const account = await demoAccount(page, 'unit_head');
  await signIn(page, { username: account.username, password: 'not-the-password-1' });
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('alert')).toContainText('用户名或密码不正确');
  await expect(page.locator('input[name="username"]')).toHaveValue(account.username);
});

test('an unknown user gets the same message', async ({ page }) => {
  await signIn(page, { username: 'nobody-here', password: 'whatever123' });
  await expect(page.getByRole('alert')).toContainText('用户名或密码不正确');
});

test('empty fields are named in the message', async ({ page }) => {
  await signIn(page, { username: '', password: '' });
  await expect(page.getByRole('alert')).toContainText('请填写“用户名”');
  await signIn(page, { username: 'central', password: '' });
  await expect(page.getByRole('alert')).toContainText('请填写“密码”');
});

test('the sixth try on a locked account says it is locked', async ({ page }, info) => {
  const username = freshUsername('lock', info.project.name);
  const password = 'Correct-horse-42';
  await adminCreatesUser(page, username, password);
  for (let i = 1; i <= 4; i++) {
    await signIn(page, { username, password: `wrong-${i}-password` });
    await expect(page.getByRole('alert')).toContainText('用户名或密码不正确');
  }
  await signIn(page, { username, password: 'wrong-5-password' });
  await expect(page.getByRole('alert')).toContainText('账号已锁定');
  // Even the right password is refused while the lock lasts.
  await signIn(page, { username, password });
  await expect(page.getByRole('alert')).toContainText('账号已锁定');
  await expect(page.getByRole('alert')).toContainText('15 分钟');
  await expect(page).toHaveURL(/\/login/);
});

test('an account the administrator made goes nowhere until its user chooses a password', async ({ page }, info) => {
  const username = freshUsername('first', info.project.name);
  const given = 'Given-by-admin-3';
  await adminCreatesUser(page, username, given);
  await signIn(page, { username, password: given });
  await expect(page).toHaveURL(/\/password\?required=1/);
  await page.goto('/ledger');
  await expect(page).toHaveURL(/\/password\?required=1/);
  // Typed differently twice: said so, nothing changed.
  const form = page.getByTestId('change-password');
  await form.locator('input[name="current_password"]').fill(given);
  await form.locator('input[name="new_password"]').fill('Chosen-pass-4');
  await form.locator('input[name="confirm_password"]').fill('Chosen-pass-5');
  await form.locator('button[type="submit"]').click();
  await expect(page.getByRole('alert')).toContainText('两次输入的新密码不一致');
  await choosesOwnPassword(page, given, 'Chosen-pass-4');
  await expect(page.locator('.notice-ok')).toContainText('密码已修改');
  await page.goto('/');
  await expect(page).toHaveURL(/\/$/);
  await signOut(page);
  await signIn(page, { username, password: 'Chosen-pass-4' });
  await expect(page).toHaveURL(/\/$/);
});

test('the administrator reads the security log', async ({ page }) => {
  await signIn(page, { username: 'central', password: 'not-the-password-9' });
  await signInAs(page, 'administrator');
  await page.goto('/admin/security');
  await expect(page.locator('h1')).toContainText('安全日志');
  const log = page.getByTestId('security-log');
  await expect(log.locator('[data-kind="sign_in_failed"]').first()).toContainText('central');
  await page.locator('select[name="kind"]').selectOption('sign_in_failed');
  await page.locator('form.filters button[type="submit"]').click();
  await expect(log.locator('[data-kind="sign_in"]')).toHaveCount(0);
  await expect(log.locator('[data-kind="sign_in_failed"]').first()).toBeVisible();
});

test('a unit head cannot open the administrator screens', async ({ page }) => {
  await signInAs(page, 'unit_head');
  const response = await page.goto('/admin/users');
  expect(response?.status()).toBe(403);
  await expect(page.locator('h1')).toContainText('403');
  await expect(page.locator('main')).toContainText('没有访问此页面的权限');
});

test('an unknown page is a translated 404', async ({ page }) => {
  await signInAs(page, 'central_office');
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.locator('h1')).toContainText('页面不存在');
});

test('the administrator is told what is wrong with a new user and nothing is saved', async ({ page }, info) => {
  await signInAs(page, 'administrator');
  await page.goto('/admin/users');
  const form = page.getByTestId('create-user');
  const username = freshUsername('bad', info.project.name);
  // The browser would stop at 40 characters; a hostile client would not.
  const name = form.locator('input[name="user[display_name]"]');
  await name.evaluate((el: HTMLInputElement) => el.removeAttribute('maxlength'));
  await form.locator('input[name="user[username]"]').fill(username);
  await name.fill('测'.repeat(41));
  await form.locator('input[name="user[password]"]').fill('abcdefgh1');
  await form.locator('select[name="user[role]"]').selectOption('unit_head');
  await form.locator('button[type="submit"]').click();
  await expect(page.getByRole('alert')).toContainText('“姓名”不能超过 40 个字');
  // What was typed comes back, and no such user exists.
  await expect(page.getByTestId('create-user').locator('input[name="user[username]"]')).toHaveValue(username);
  await expect(page.getByTestId('user-list')).not.toContainText(username);
});

test('a disabled account is signed out at once and signs in again only once enabled', async ({ page }, info) => {
  const username = freshUsername('gone', info.project.name);
  const given = 'Given-by-admin-7';
  await adminCreatesUser(page, username, given);
  await signIn(page, { username, password: given });
  await choosesOwnPassword(page, given, 'Own-pass-77');
  const theirs = await page.context().cookies();
  // The administrator, on a device of their own.
  await page.context().clearCookies();
  await signInAs(page, 'administrator');
  const choose = async (disabled: boolean, said: string) => {
    await page.goto('/admin/users');
    const form = page.getByTestId('disable-account');
    await form.locator('select[name="user"]').selectOption({ label: `测试用户 (${username})` });
    await form.locator(`button[value="${disabled}"]`).click();
    await expect(page.getByRole('status')).toContainText(said);
  };
  await choose(true, '账号已停用');
  await expect(page.getByTestId('user-list').locator(`tr[data-username="${username}"]`)).toContainText('已停用');
  const admins = await page.context().cookies();
  // Their phone, still holding its cookie, is signed out; the right password is told why.
  await page.context().clearCookies();
  await page.context().addCookies(theirs);
  await page.goto('/ledger');
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, { username, password: 'Own-pass-77' });
  await expect(page.getByRole('alert')).toContainText('该账号已被管理员停用');
  await page.context().clearCookies();
  await page.context().addCookies(admins);
  await choose(false, '账号已恢复');
  await page.context().clearCookies();
  await signIn(page, { username, password: 'Own-pass-77' });
  await expect(page).toHaveURL(/\/$/);
});
