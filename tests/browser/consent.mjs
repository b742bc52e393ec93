// The person at the browser, for tests: headless Debian Chromium driven by
// playwright-core through the test provider's login and consent pages.
//
//   node tests/browser/consent.mjs --url AUTH_URL --user U [--deny] [--screenshot F]
//   node tests/browser/consent.mjs --device-url URL --user U [--deny]
//
// Waits until the browser lands on the final page (the program's loopback
// listener, or the provider's device-flow result page) and prints
// {"url","title","text"} as JSON. If the final redirect cannot be loaded
// (nothing listening: the manual flow), it still prints the URL it was sent to.
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const url = opt('--url');
const deviceUrl = opt('--device-url');
const user = opt('--user') ?? 'alice@example.test';
const deny = args.includes('--deny');
const shot = opt('--screenshot');
if (!url && !deviceUrl) {
  console.error('usage: consent.mjs --url AUTH_URL | --device-url URL  [--user U] [--deny] [--screenshot FILE]');
  process.exit(64);
}

// playwright gives every launch a fresh temporary profile.
const browser = await chromium.launch({
  executablePath: process.env.MK_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let lastRequested;
let code = 0;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  page.on('request', (r) => { if (r.isNavigationRequest()) lastRequested = r.url(); });
  const start = new URL(url ?? deviceUrl);
  const onProvider = () => new URL(page.url()).origin === start.origin;
  try {
    await page.goto(url ?? deviceUrl);
  } catch (e) { /* an immediate redirect to a dead listener */ }
  for (let step = 0; step < 8 && onProvider(); step++) {
    if (await page.locator('input[name=user_code]:not([type=hidden])').count()) {
      // device page without a prefilled code: the URL had none
      throw new Error('device page asks for a user code; pass verification_uri_complete');
    }
    if (await page.locator('button[name=confirm], input[name=confirm]').count() ||
        await page.locator('form input[name=xsrf]').count()) {
      // device confirmation: "Continue" (or abort)
      const btn = deny ? page.locator('button[name=abort], input[name=abort]') : page.locator('button[type=submit]').first();
      await Promise.all([page.waitForLoadState().catch(() => {}), btn.first().click()]);
      continue;
    }
    if (await page.locator('input[name=login]').count()) {
      await page.fill('input[name=login]', user);
      await page.fill('input[name=password]', 'any');
      await Promise.all([page.waitForNavigation().catch(() => {}), page.click('button[type=submit]')]);
      continue;
    }
    if (await page.locator('input[name=prompt][value=consent]').count()) {
      if (deny) {
        // The dev interaction's "Cancel" link aborts: error=access_denied.
        const abort = page.locator('a[href*="/abort"]');
        await Promise.all([page.waitForNavigation().catch(() => {}), abort.first().click()]);
      } else {
        await Promise.all([page.waitForNavigation().catch(() => {}), page.click('button[type=submit]')]);
      }
      continue;
    }
    // device flow end page lives on the provider too
    if (deviceUrl && /\/device\//.test(page.url())) break;
    await page.waitForTimeout(200);
  }
  await page.waitForLoadState().catch(() => {});
  if (shot) await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  const finalUrl = page.url().startsWith('chrome-error:') ? lastRequested : page.url();
  const title = await page.title().catch(() => '');
  const text = page.url().startsWith('chrome-error:') ? '' : await page.innerText('body').catch(() => '');
  process.stdout.write(`${JSON.stringify({ url: finalUrl, title, text })}\n`);
} catch (e) {
  console.error(`consent.mjs: ${e.message}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
