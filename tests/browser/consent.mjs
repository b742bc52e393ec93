// The person at the browser, for tests: headless Debian Chromium driven by
// playwright-core through the test provider's (oidc-provider dev
// interactions) login and consent pages.
//
//   node tests/browser/consent.mjs --url AUTH_URL [--user U] [--deny]
//        [--screenshot FILE] [--timeout S]
//     Opens the authorization URL, signs in as U (any password), then
//     approves consent, or with --deny follows the page's "[ Cancel ]" link
//     (/interaction/<uid>/abort), which makes the provider redirect to the
//     redirect_uri with error=access_denied. Waits until the browser has left
//     the provider for the redirect URI (the loopback listener of the program
//     under test) and that page has loaded.
//
//   node tests/browser/consent.mjs --device-url URL [--user-code CODE]
//        [--user U] [--deny] [--deny-at confirm|consent] [--screenshot FILE]
//     The device flow's verification page: enters the user code if the page
//     asks for it (URL without ?user_code=: pass --user-code), confirms it,
//     signs in, consents. --deny declines at the consent page (default) or,
//     with --deny-at confirm, presses "[ Abort ]" on the code confirmation
//     page; either way the device code is marked access_denied. Ends on the
//     provider's result page ("Sign-in Success" or "...interrupted").
//
// Prints one JSON line on stdout: {"url","title","text","loaded"}. If the
// final redirect could not be loaded (nothing listening: the manual flow),
// "url" is the address the browser was sent to, "text" is empty and "loaded"
// is false; that still counts as success. Exits 1 with a message on stderr
// when the flow could not be completed (unknown user, provider error page,
// timeout...), 64 on bad usage.
//
// Only loopback addresses are ever contacted: requests to any other host are
// aborted, and Chromium's own resolver maps every name but localhost to
// nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const flags = new Set(['--deny']);
const opts = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (flags.has(a)) { opts[a] = true; continue; }
  if (!a.startsWith('--') || i + 1 >= args.length) usage(`bad argument ${a}`);
  opts[a] = args[++i];
}
function usage(msg) {
  if (msg) console.error(`consent.mjs: ${msg}`);
  console.error('usage: consent.mjs (--url AUTH_URL | --device-url URL [--user-code CODE]) [--user U]\n'
    + '                   [--deny] [--deny-at confirm|consent] [--screenshot FILE] [--timeout S]');
  process.exit(64);
}
const known = ['--url', '--device-url', '--user-code', '--user', '--deny', '--deny-at', '--screenshot', '--timeout'];
for (const k of Object.keys(opts)) if (!known.includes(k)) usage(`unknown option ${k}`);
const authUrl = opts['--url'];
const deviceUrl = opts['--device-url'];
if (!authUrl === !deviceUrl) usage('give exactly one of --url and --device-url');
const user = opts['--user'] ?? 'alice@example.test';
const deny = Boolean(opts['--deny']);
const denyAt = opts['--deny-at'] ?? 'consent';
if (!['confirm', 'consent'].includes(denyAt)) usage('--deny-at is confirm or consent');
const timeoutMs = Number(opts['--timeout'] ?? 60) * 1000;
const start = new URL(authUrl ?? deviceUrl);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
if (!LOOPBACK.has(start.hostname)) usage(`${start.href} is not a loopback address`);

const die = (msg) => { const e = new Error(msg); e.expected = true; throw e; };
const profile = mkdtempSync(join(tmpdir(), 'mk-chromium-'));
let context;
const timer = setTimeout(() => {
  console.error(`consent.mjs: timed out after ${timeoutMs / 1000} s`);
  context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}, timeoutMs);

let code = 0;
try {
  // A persistent context on a fresh, temporary profile directory: nothing of
  // an earlier run (cookies, sessions) carries over.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.MK_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-domain-reliability', '--no-pings',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]'],
  });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && !LOOPBACK.has(u.hostname)) return route.abort('blockedbyclient');
    return route.continue();
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(Math.min(20000, timeoutMs));
  let lastNav; // the last address the main frame was sent to
  page.on('request', (r) => { if (r.isNavigationRequest() && r.frame() === page.mainFrame()) lastNav = r.url(); });
  const onProvider = () => { try { return new URL(page.url()).origin === start.origin; } catch { return false; } };
  const has = async (sel) => (await page.locator(sel).count().catch(() => 0)) > 0;
  const bodyText = async () => (await page.innerText('body').catch(() => '')).trim();
  // Click and wait for the navigation it causes (or for the page to settle).
  const submit = async (locator) => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }).catch(() => {}), locator.first().click()]);
  };

  const isDead = () => page.url().startsWith('chrome-error:') || page.url() === 'about:blank';
  try {
    await page.goto(start.href, { waitUntil: 'load' });
  } catch { /* a redirect straight to a dead listener: handled below */ }
  if (isDead() && (!lastNav || new URL(lastNav).origin === start.origin)) die(`cannot load ${start.href}`);

  let done = false;
  const seen = new Map(); // guards against a page that keeps coming back
  for (let step = 0; step < 20 && !done; step++) {
    if (!onProvider()) break; // left for the redirect URI (or an error page)
    const text = await bodyText();
    const key = `${page.url()}|${text.slice(0, 200)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (seen.get(key) > 2) die(`stuck on ${page.url()}: ${text.slice(0, 300)}`);

    if (await has('input[name=login]')) { // login
      if (step > 0 && /invalid|incorrect|failed/i.test(text)) die(`login refused for ${user}: ${text.slice(0, 200)}`);
      await page.fill('input[name=login]', user);
      await page.fill('input[name=password]', 'any password');
      await submit(page.locator('button[type=submit]'));
    } else if (await has('input[name=prompt][value=consent]')) { // consent
      if (deny && (authUrl || denyAt === 'consent')) await submit(page.locator('a[href$="/abort"]'));
      else await submit(page.locator('button[type=submit]'));
    } else if (await has('button[name=abort]')) { // device: confirm the code
      if (deny && denyAt === 'confirm') await submit(page.locator('button[name=abort]'));
      else await submit(page.locator('button[autofocus][type=submit]'));
    } else if (await has('input[name=user_code]:not([type=hidden])')) { // device: enter the code
      if (/interrupted/i.test(text)) { done = true; break; } // the denied end page
      if (/incorrect|error/i.test(text)) die(`the provider refused the user code: ${text.slice(0, 200)}`);
      const uc = opts['--user-code'] ?? new URL(page.url()).searchParams.get('user_code');
      if (!uc) die('the device page asks for a user code: pass --user-code or the verification_uri_complete');
      await page.fill('input[name=user_code]', uc);
      await submit(page.locator('button[type=submit]'));
    } else if (/Sign-in Success/i.test(text)) { // device: approved
      done = true;
    } else if (await has('form input[name=xsrf]')) { // self-submitting device form
      await page.waitForNavigation({ waitUntil: 'load' }).catch(() => {});
    } else {
      // Perhaps a page still on its way: give it a moment, then judge again
      // (the `seen` guard ends this if nothing changes).
      await page.waitForNavigation({ waitUntil: 'load', timeout: 1000 }).catch(() => {});
      if (seen.get(key) > 1) die(`unexpected page at ${page.url()}: ${text.slice(0, 300)}`);
    }
  }
  if (deviceUrl && !done) die(`the device flow did not end on a result page (at ${page.url()})`);
  if (authUrl && onProvider()) die(`still on the provider after 20 steps (at ${page.url()})`);

  await page.waitForLoadState('load').catch(() => {});
  if (opts['--screenshot']) await page.screenshot({ path: opts['--screenshot'], fullPage: true });
  const dead = isDead();
  const out = {
    url: dead ? lastNav : page.url(),
    title: dead ? '' : await page.title().catch(() => ''),
    text: dead ? '' : await bodyText(),
    loaded: !dead,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} catch (e) {
  console.error(`consent.mjs: ${e.expected ? e.message : e.stack ?? e}`);
  code = 1;
} finally {
  clearTimeout(timer);
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
