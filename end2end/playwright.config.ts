import { defineConfig, devices } from '@playwright/test';

// Every spec runs on a phone and on a desktop, each with JavaScript on (islands
// hydrated, service worker) and off (server-rendered HTML and plain forms only).
// The browser is Debian's Chromium: Playwright's own browser download cannot work here.
const port = Number(process.env.E2E_PORT ?? 3100);
const bin = process.env.RECTIFY_BIN ?? '../target/debug/rectify';
const chromium = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
};
const phone = { ...devices['Pixel 7'], launchOptions: chromium };
const desktop = { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 860 }, launchOptions: chromium };
// Service worker, install and offline need JavaScript by nature.
const needsScript = /(pwa|push|lookback-offline)\.spec\.ts/;

export default defineConfig({
  testDir: './tests',
  // One server, shared accounts: run one test at a time, in a fixed order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'off',
    serviceWorkers: 'allow',
  },
  projects: [
    { name: 'phone-js', use: { ...phone } },
    { name: 'phone-nojs', use: { ...phone, javaScriptEnabled: false }, testIgnore: needsScript },
    { name: 'desktop-js', use: { ...desktop } },
    { name: 'desktop-nojs', use: { ...desktop, javaScriptEnabled: false }, testIgnore: needsScript },
  ],
  webServer: {
    // A fresh in-memory database with the demo city for each run.
    command: `${bin} --db mem:// --demo --listen 127.0.0.1:${port} --log info --tick-seconds 2`,
    url: `http://127.0.0.1:${port}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site', RUST_BACKTRACE: '0' },
  },
});
