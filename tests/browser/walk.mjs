// The browser walk (issue 5), run by walk.sh against a real convene with the demo loaded:
//   1. the organiser logs in and moves the next meeting to another venue through the preview;
//   2. a member opens their personal page, follows the apology link, sends apologies with a
//      reason and sees them on their page; gets their calendar link;
//   3. the organiser sees the apologies and the reason in the register, and the minutes header.
// Two people, two browsers: each has its own new, empty user-data-dir. The organiser works on a
// desktop-sized window, the member on a phone-sized one; every step leaves a screenshot in
// $ARTIFACTS (and the organiser's pages also at phone size). Every wait is bounded; any Content
// Security Policy report in the console fails the walk.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '../node/node_modules/playwright-core/index.mjs';

const BASE = process.env.BASE;
const PASSWORD = process.env.PASSWORD;
const ARTIFACTS = process.env.ARTIFACTS;
assert.ok(BASE && PASSWORD && ARTIFACTS, 'BASE, PASSWORD and ARTIFACTS must be set');

const watchdog = setTimeout(() => {
  console.error('walk: took longer than 120 s');
  process.exit(3);
}, 120_000);

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let checks = 0;
let failures = 0;
function check(cond, what) {
  checks++;
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}

const profiles = [];
async function person(viewport) {
  const dir = mkdtempSync(join(tmpdir(), 'convene-walk-'));
  profiles.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: ARGS,
    viewport,
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) {
      failures++;
      console.error(`FAIL: browser console: ${text}`);
    }
  });
  page.on('pageerror', (err) => {
    failures++;
    console.error(`FAIL: page error: ${err}`);
  });
  return { context, page };
}

async function shot(page, name, alsoPhone = false) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: 10_000 });
  if (alsoPhone) {
    const size = page.viewportSize();
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true, timeout: 10_000 });
    await page.setViewportSize(size);
  }
}

async function text(page) {
  return page.locator('main').innerText({ timeout: 5_000 });
}

// The style sheet really applies (its CSP hash matches): the header bar is dark blue.
async function styled(page) {
  const bg = await page.locator('header.top').evaluate((el) => getComputedStyle(el).backgroundColor);
  return bg === 'rgb(29, 53, 87)';
}

let organiser;
let member;
try {
  organiser = await person(DESKTOP);
  const o = organiser.page;

  // ---- 1. the organiser logs in ----
  await o.goto(`${BASE}/organise`);
  check(o.url().startsWith(`${BASE}/login`), 'organise redirects to the login page');
  await shot(o, '01-login', true);
  check(await styled(o), 'the inline style applies under the CSP');
  await o.getByLabel('Email').fill('secretary@example.org');
  await o.getByLabel('Password').fill(PASSWORD);
  await o.getByRole('button', { name: 'Log in' }).click();
  await o.waitForURL(`${BASE}/organise`);
  check((await text(o)).includes('Socitm Futures'), 'the dashboard lists the group');
  await shot(o, '02-dashboard', true);

  // A second venue to move to.
  await o.getByRole('link', { name: 'Venues' }).click();
  await o.getByLabel('Name').fill('Guildhall');
  await o.getByLabel('Address').fill('Gresham Street, London');
  await o.getByLabel('Postcode').fill('EC2V 7HH');
  await o.getByRole('button', { name: 'Add venue' }).click();
  await o.waitForURL(`${BASE}/organise/venues`);
  check((await text(o)).includes('Guildhall'), 'the new venue is listed');
  await shot(o, '03-venues');

  // The next meeting, to the Guildhall, through the preview.
  await o.goto(`${BASE}/organise`);
  await o.getByRole('link', { name: 'Monday 18 January 2027' }).click();
  await o.waitForURL(/\/organise\/meetings\/\d+$/);
  const meetingUrl = o.url();
  const meetingId = meetingUrl.match(/(\d+)$/)[1];
  await shot(o, '04-meeting', true);
  await o.getByLabel('Venue').selectOption({ label: 'Guildhall' });
  await o.getByRole('button', { name: 'Preview the new venue' }).click();
  await o.waitForURL(/\/preview$/);
  const preview = await text(o);
  check(preview.includes('Check before sending'), 'the preview page opens');
  check(preview.includes('Guildhall, Gresham Street, London EC2V 7HH'), 'the preview shows the new venue');
  check(preview.includes('21 people will get an email'), 'the preview says who will be told');
  await o.locator('details summary').click();
  await shot(o, '05-preview', true);
  await o.getByRole('button', { name: 'Confirm and tell them' }).click();
  await o.waitForURL(`${meetingUrl}?done=changed`);
  const moved = await text(o);
  check(moved.includes('Saved. The notices are on their way.'), 'the change is confirmed');
  check(moved.includes('Guildhall'), 'the meeting is now at the Guildhall');
  await shot(o, '06-moved');

  // A personal link for Ian Cooper (the organiser sends it to him).
  await o.goto(`${BASE}/organise/groups/futures/members`);
  await o.getByRole('button', { name: 'New personal link for Ian Cooper' }).click();
  const link = (await o.locator('.link-box').innerText()).trim();
  check(/\/m\/[A-Za-z0-9_-]{43}$/.test(link), `a personal link is shown (${link.length} chars)`);
  await shot(o, '07-member-link', true);

  // ---- 2. the member, on a phone ----
  member = await person(PHONE);
  const m = member.page;
  await m.goto(link);
  let home = await text(m);
  check(home.includes('Hello Ian Cooper'), 'the member page greets the member');
  check(home.includes('Guildhall'), 'the member page shows the new venue');
  check(await styled(m), 'the member page is styled');
  await shot(m, '08-member-home');
  await m.getByRole('link', { name: 'Send apologies for Monday 18 January 2027' }).click();
  await m.waitForURL(/\/apologies\/[A-Za-z0-9_-]{43}$/);
  await shot(m, '09-apology-form');
  await m.getByLabel('Reason').fill('Speaking at a conference in Leeds');
  await m.getByRole('button', { name: 'Send apologies' }).click();
  await m.waitForURL(/\?done=sent$/);
  const thanks = await text(m);
  check(thanks.includes('Your apologies are recorded'), 'the member is thanked');
  check(thanks.includes('Speaking at a conference in Leeds'), 'the reason is shown back');
  await shot(m, '10-apology-sent');
  await m.goto(link);
  home = await text(m);
  check(home.includes('You have sent apologies for Monday 18 January 2027: “Speaking at a conference in Leeds”'),
    'the member page shows the apologies');
  await shot(m, '11-member-after');
  await m.getByRole('button', { name: /calendar link/ }).click();
  const calendar = await text(m);
  check(/webcal:\/\/127\.0\.0\.1:\d+\/feeds\/members\/[A-Za-z0-9_-]{43}\.ics/.test(calendar), 'the calendar link is shown');
  await m.locator('text=Your calendar link').scrollIntoViewIfNeeded();
  await shot(m, '12-calendar-link');

  // ---- 3. the organiser sees them in the register ----
  await o.goto(`${meetingUrl}/register`);
  const register = await text(o);
  check(register.includes('apologies from 1'), 'the register counts the apologies');
  check(register.includes('Ian Cooper, Hampshire CC: “Speaking at a conference in Leeds”'),
    'the register shows the reason');
  await shot(o, '13-register', true);
  await o.getByLabel('Glyn Evans').check();
  await o.getByRole('button', { name: 'Save the register' }).click();
  await o.waitForURL(/register\?done=1$/);
  check(await o.getByLabel('Glyn Evans').isChecked(), 'the register keeps who was there');

  // The minutes header of the seed meeting, and the public pages.
  await o.goto(`${BASE}/organise/groups/futures?all=1`);
  await o.getByRole('link', { name: 'Monday 15 March 2010' }).click();
  await o.getByRole('link', { name: 'Minutes header' }).click();
  const minutes = await text(o);
  check(minutes.includes('MINUTES OF SOCITM FUTURES MEETING HELD ON MONDAY 15 MARCH 2010'), 'the minutes heading');
  check(minutes.includes('Jacky Scobell, Kent CC'), 'the minutes list who attended');
  await shot(o, '14-minutes', true);
  await m.goto(`${BASE}/groups/futures`);
  await shot(m, '15-group-public');
  await m.goto(`${BASE}/meetings/${meetingId}`);
  check((await text(m)).includes('Apologies received: 1'), 'the public meeting page counts apologies');
  await shot(m, '16-meeting-public');
  await m.goto(`${BASE}/meetings/999999`);
  await shot(m, '17-not-found');

  // ---- logout ----
  await o.getByRole('button', { name: /Log out/ }).click();
  await o.waitForURL(`${BASE}/login?out=1`);
  await o.goto(`${BASE}/organise`);
  check(o.url().startsWith(`${BASE}/login`), 'after logout the dashboard asks for a login');
} catch (err) {
  failures++;
  console.error(`FAIL: ${err.stack || err}`);
} finally {
  for (const p of [organiser, member]) if (p) await p.context.close().catch(() => {});
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
console.log(`browser walk: ${checks - Math.min(checks, failures)} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
