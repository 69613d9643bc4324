// The browser walk (issue 5), run by walk.sh against a real convene with the demo loaded:
//   1. the organiser logs in and moves the next meeting to another venue through the preview;
//   2. a member opens their personal page, follows the apology link, sends apologies with a
//      reason and sees them on their page; gets their calendar link;
//   3. the organiser sees the apologies and the reason in the register, and the minutes header;
//   4. the member follows the unsubscribe link of the notice mailed to them (read from the spool,
//      as a mail client would) and confirms; the organiser's outbox page shows the notices sent
//      and those still pending;
//   5. the organiser makes a series from the sentence form (an error first, then its preview) and
//      changes it from a meeting on through the series preview;
//   6. the month views: a group's, a venue's and the organiser's, as a grid on the desktop and as
//      a list of days on the phone; and the minutes and the register as printed (print media, and
//      a PDF from chromium's print-to-PDF);
//   7. the organiser imports members from a spreadsheet file (a bad row first, shown beside its
//      field; then the corrected file, its check and the import) and reads the attendance page.
// Two people, two browsers: each has its own new, empty user-data-dir. The organiser works on a
// desktop-sized window, the member on a phone-sized one; every step leaves a screenshot in
// $ARTIFACTS (and the organiser's pages also at phone size). Every wait is bounded; any Content
// Security Policy report in the console fails the walk, and so does any WCAG 2.1 A/AA violation
// axe-core finds on a photographed page.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '../node/node_modules/playwright-core/index.mjs';

const BASE = process.env.BASE;
const PASSWORD = process.env.PASSWORD;
const ARTIFACTS = process.env.ARTIFACTS;
const SPOOL = process.env.SPOOL;
assert.ok(BASE && PASSWORD && ARTIFACTS && SPOOL, 'BASE, PASSWORD, ARTIFACTS and SPOOL must be set');

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
    // A pattern attribute the browser cannot compile (it uses the v flag) is an error too: the
    // field's check is then silently dropped.
    if (/Content.Security.Policy|Refused to|pattern attribute|Invalid regular expression/i.test(text)) {
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

// Accessibility (WCAG 2.1 A and AA rules of axe-core, Deque's engine, from npm) on every page the
// walk photographs. Evaluated through the DevTools protocol, which the pages' CSP (no script)
// does not govern, so the walk still proves the pages themselves need none.
const AXE = readFileSync(new URL('../node/node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const axeSeen = new Set();
let axePages = 0;
let axeViolations = 0;
async function axeRun(page) {
  await page.evaluate(AXE);
  return page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
}
async function accessible(page, name) {
  const result = await axeRun(page);
  axePages++;
  axeViolations += result.violations.length;
  for (const v of result.violations) {
    const key = `${v.id} ${new URL(page.url()).pathname.replace(/[A-Za-z0-9_-]{43}/g, '{token}')}`;
    if (axeSeen.has(key)) continue;
    axeSeen.add(key);
    check(false, `accessibility (${name}): ${v.id} [${v.impact}] ${v.help}: ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
  }
}

async function shot(page, name, alsoPhone = false) {
  await accessible(page, name);
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

// The page as printed: print media hides the header bar, navigation, buttons, forms and the
// "noprint" links, and prints black on white; then chromium's own print-to-PDF makes the file
// (saved beside the screenshots). `mustRead` must be in the printed text, `mustNot` must not.
async function printed(page, name, mustRead, mustNot) {
  await page.emulateMedia({ media: 'print' });
  try {
    const seen = await page.evaluate(() => {
      const shown = (el) => !!el && getComputedStyle(el).display !== 'none' &&
        getComputedStyle(el).visibility !== 'hidden' && el.getClientRects().length > 0;
      const all = (sel) => [...document.querySelectorAll(sel)];
      return {
        header: all('header.top').some(shown),
        nav: all('nav').some(shown),
        controls: all('button, .button, form, details, .noprint').filter(shown).length,
        h1: shown(document.querySelector('h1')) ? document.querySelector('h1').innerText : '',
        color: getComputedStyle(document.body).color,
        background: getComputedStyle(document.body).backgroundColor,
        coloured: all('main *').filter((el) => shown(el) &&
          !['rgb(0, 0, 0)'].includes(getComputedStyle(el).color)).length,
        underlined: all('main a').filter((a) => shown(a) &&
          getComputedStyle(a).textDecorationLine !== 'none').length,
      };
    });
    check(!seen.header, `${name}: no header bar in print`);
    check(!seen.nav, `${name}: no navigation in print`);
    check(seen.controls === 0, `${name}: no buttons, forms or page links in print (${seen.controls})`);
    check(seen.color === 'rgb(0, 0, 0)' && seen.background === 'rgb(255, 255, 255)',
      `${name}: black on white in print (${seen.color} on ${seen.background})`);
    check(seen.coloured === 0, `${name}: no coloured text in print (${seen.coloured})`);
    check(seen.underlined === 0, `${name}: no underlined links in print (${seen.underlined})`);
    const words = await text(page);
    for (const want of mustRead) check(words.includes(want), `${name}: the print reads "${want}"`);
    for (const not of mustNot) check(!words.includes(not), `${name}: the print leaves out "${not}"`);
    const pdf = await page.pdf({ format: 'A4' });
    check(pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 1000, `${name}: chromium prints it to PDF`);
    writeFileSync(join(ARTIFACTS, `${name}.pdf`), pdf);
    return seen;
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
}

// The List-Unsubscribe URL of the first notice in the spool addressed to `email`, waiting (at
// most 20 s) for the mail worker to deliver it.
async function unsubscribeLinkFor(email) {
  for (let i = 0; i < 100; i++) {
    let names = [];
    try {
      names = readdirSync(SPOOL).filter((n) => n.endsWith('.eml'));
    } catch {
      // the worker makes the folder with its first message
    }
    for (const name of names) {
      const eml = readFileSync(join(SPOOL, name), 'utf8').replace(/\r\n[ \t]+/g, ' ');
      const head = eml.slice(0, eml.indexOf('\r\n\r\n'));
      const lines = head.split('\r\n');
      if (!lines.some((l) => /^to:/i.test(l) && l.toLowerCase().includes(email))) continue;
      const m = head.match(/^List-Unsubscribe: <([^>]+)>/mi);
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return '';
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
  // The accessibility check can fail: an unlabelled field added to the page is caught.
  await o.evaluate(() => document.querySelector('form').insertAdjacentHTML('beforeend',
    '<input id="axe-self-test" type="text">'));
  const planted = await axeRun(o);
  check(planted.violations.some((v) => v.id === 'label'), 'axe catches an unlabelled field');
  await o.evaluate(() => document.getElementById('axe-self-test').remove());
  check(await styled(o), 'the inline style applies under the CSP');
  // "Forgot your password?" answers the same whoever asks (nothing is sent for an unknown address).
  await o.getByRole('link', { name: 'Forgot your password?' }).click();
  await o.waitForURL(`${BASE}/login/forgot`);
  await o.getByLabel('Email').fill('nobody@example.org');
  await o.getByRole('button', { name: 'Send me a link' }).click();
  check((await text(o)).includes('If an organiser account uses that address'), 'the forgot page answers');
  await shot(o, '01-forgot');
  await o.goto(`${BASE}/organise`);
  await o.waitForURL(/\/login/);
  await o.getByLabel('Email').fill('secretary@example.org');
  await o.getByLabel('Password').fill(PASSWORD);
  await o.getByRole('button', { name: 'Log in' }).click();
  await o.waitForURL(`${BASE}/organise`);
  check((await text(o)).includes('Socitm Futures'), 'the dashboard lists the group');
  await shot(o, '02-dashboard', true);
  // The new group's web address: its pattern compiles under the v flag and so really checks.
  await o.getByText('New group').click();
  await o.locator('#new-slug').fill('Not A Slug');
  const slugCheck = await o.locator('#new-slug').evaluate((el) =>
    ({ mismatch: el.validity.patternMismatch, ok: el.checkValidity() }));
  check(slugCheck.mismatch && !slugCheck.ok, 'the web-address pattern refuses "Not A Slug"');
  await o.locator('#new-slug').fill('walk-group');
  check(await o.locator('#new-slug').evaluate((el) => el.checkValidity()), 'and accepts "walk-group"');
  await o.locator('#new-slug').fill('');

  // A second venue to move to.
  await o.getByRole('link', { name: 'Venues' }).click();
  const addVenue = o.locator('form[action="/organise/venues"]');
  await addVenue.getByLabel('Name').fill('Guildhall');
  await addVenue.getByLabel('Address').fill('Gresham Street, London');
  await addVenue.getByLabel('Postcode').fill('EC2V 7HH');
  await o.getByRole('button', { name: 'Add venue' }).click();
  await o.waitForURL(`${BASE}/organise/venues`);
  check((await text(o)).includes('Guildhall'), 'the new venue is listed');
  // Its seats, added afterwards from its edit form.
  await o.getByText('Edit Guildhall').click();
  await o.locator('details', { hasText: 'Edit Guildhall' }).getByLabel('Seats').fill('120');
  await o.getByRole('button', { name: 'Save Guildhall' }).click();
  await o.waitForURL(`${BASE}/organise/venues?saved=1`);
  check((await text(o)).includes('seats 120'), 'the venue edit is saved');
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
  await o.waitForURL(/\?done=changed&/);
  const moved = await text(o);
  check(moved.includes('Saved. The notices are on their way: 21 people will get an email.'),
    'the change is confirmed, saying who is told');
  check(moved.includes('Guildhall'), 'the meeting is now at the Guildhall');
  await shot(o, '06-moved');

  // A personal link for Ian Cooper (the organiser sends it to him).
  await o.goto(`${BASE}/organise/groups/futures/members`);
  await o.locator('li.card', { hasText: 'ian.cooper@example.org' }).getByText('Send their page link').click();
  await o.getByRole('button', { name: 'Show the page link of Ian Cooper' }).click();
  await o.waitForURL(/\/members\?link=\d+$/);
  check((await text(o)).includes('Their earlier page links still work'), 'sending a page link revokes nothing');
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
  const feedLink = (t) => (t.match(/webcal:\/\/127\.0\.0\.1:\d+\/feeds\/members\/[A-Za-z0-9_-]{43}\.ics/) || [''])[0];
  const calendar = feedLink(home);
  check(calendar !== '', 'the calendar link is on the page');
  check(home.includes('paste the https link above'), 'the steps name the link shown');
  await m.getByText('Someone else has your calendar link?').click();
  await m.getByRole('button', { name: 'Replace my calendar link' }).click();
  await m.waitForURL(/\?calendar=new$/);
  const replaced = await text(m);
  check(replaced.includes('This is your new calendar link'), 'the new calendar link is announced');
  check(feedLink(replaced) !== '' && feedLink(replaced) !== calendar, 'a new calendar link is shown');
  await m.reload();
  check(feedLink(await text(m)) === feedLink(replaced), 'a reload shows the same link, issuing none');
  await m.getByText('Your calendar link', { exact: true }).scrollIntoViewIfNeeded();
  await shot(m, '12-calendar-link');

  // ---- 3. the organiser sees them in the register ----
  await o.goto(`${meetingUrl}/register`);
  const register = await text(o);
  check(register.includes('apologies from 1'), 'the register counts the apologies');
  check(register.includes('Ian Cooper, Hampshire CC: “Speaking at a conference in Leeds”'),
    'the register shows the reason');
  await shot(o, '13-register', true);
  const regPrint = await printed(o, '13-register-print',
    ['Register: Socitm Futures, Monday 18 January 2027', 'Ian Cooper, Hampshire CC', 'Glyn Evans'],
    ['Save the register', 'Record apologies', 'Tick who came', 'Log out', 'Download the register']);
  check(regPrint.h1 === 'Register: Socitm Futures, Monday 18 January 2027',
    `the printed register is headed by the group and the date (${regPrint.h1})`);
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
  const minPrint = await printed(o, '14-minutes-print',
    ['MINUTES OF SOCITM FUTURES MEETING HELD ON MONDAY 15 MARCH 2010', 'In attendance:',
      'Jacky Scobell, Kent CC', 'Apologies:', 'Presenting:'],
    ['Back to the meeting', 'Markdown', 'Log out', 'Dashboard']);
  check(minPrint.h1.includes('SOCITM FUTURES') && minPrint.h1.includes('MONDAY 15 MARCH 2010'),
    'the printed minutes are headed by the group and the date');
  await m.goto(`${BASE}/groups/futures`);
  await shot(m, '15-group-public');
  await m.goto(`${BASE}/meetings/${meetingId}`);
  check((await text(m)).includes('Apologies received: 1'), 'the public meeting page counts apologies');
  await shot(m, '16-meeting-public');
  await m.goto(`${BASE}/meetings/999999`);
  await shot(m, '17-not-found');

  // ---- 4. the member unsubscribes from the notice's link; the organiser's outbox ----
  const unsubscribe = await unsubscribeLinkFor('ian.cooper@example.org');
  check(/\/unsubscribe\/[A-Za-z0-9_-]{43}$/.test(unsubscribe), 'the notice carries an unsubscribe link');
  await m.goto(unsubscribe);
  const confirm = await text(m);
  check(confirm.includes('Stop email notices?'), 'the unsubscribe link asks first');
  await shot(m, '18-unsubscribe-confirm');
  await m.getByRole('button', { name: 'Unsubscribe from these emails' }).click();
  await m.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
  const unsubscribed = await text(m);
  check(unsubscribed.includes('You are unsubscribed'), 'the member is unsubscribed');
  check(unsubscribed.includes('Your calendar link keeps working'), 'the feed keeps working');
  await shot(m, '19-unsubscribed');
  await m.goto(link);
  check((await text(m)).includes('You are unsubscribed'), 'the member page says so, with the way back');

  // A new presenter: every member is told again, except the one who unsubscribed.
  await o.goto(meetingUrl);
  await o.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await o.getByLabel('Topic').fill('Analytical engines for local government');
  await o.getByRole('button', { name: 'Preview the new presenter' }).click();
  await o.getByRole('heading', { name: 'Check before sending' }).waitFor();
  check((await text(o)).includes('20 people will get an email'), 'the presenter preview says who will be told');
  await o.getByRole('button', { name: 'Confirm and tell them' }).click();
  await o.waitForURL(/done=presenter&/);
  await o.goto(`${BASE}/organise`);
  await o.getByRole('link', { name: 'Notice outbox' }).click();
  await o.waitForURL(`${BASE}/organise/outbox`);
  // One line per change, its recipients (To, Status, ...) in a list that opens.
  const changes = await o.locator('li.notice').evaluateAll((lis) => lis.map((li) => ({
    subject: li.querySelector('strong').textContent.trim(),
    summary: li.querySelectorAll('p')[1].textContent.trim(),
    rows: [...li.querySelectorAll('tr.recipient')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
  })));
  const about = (subject) => changes.filter((c) => c.subject.startsWith(subject));
  const venueChange = about('Venue changed: Socitm Futures meeting, Monday 18 January 2027');
  check(venueChange.length === 1, `the venue change is one line (${venueChange.length})`);
  const venueNotices = venueChange.flatMap((c) => c.rows);
  check(venueNotices.length === 21, `its 21 notices are listed under it (${venueNotices.length})`);
  check(venueNotices.every((r) => r[1].startsWith('sent')), 'they are all sent');
  check(venueChange.every((c) => c.summary.includes('21 recipients: 21 sent')), 'the line says how it went');
  check(about('Apologies from Ian Cooper').flatMap((c) => c.rows).length === 1, 'the apologies notice is listed');
  const presenters = about('Presenters changed: Socitm Futures meeting').flatMap((c) => c.rows);
  check(presenters.length === 20, `20 members hear of the presenter (${presenters.length})`);
  check(!presenters.some((r) => r[0] === 'ian.cooper@example.org'), 'but not the one who unsubscribed');
  check(presenters.every((r) => /^(queued|sent)/.test(r[1])), 'those are pending (or just sent)');
  await shot(o, '20-outbox', true);
  // On a phone the outbox stays short: one line per change, recipients folded away.
  {
    const size = o.viewportSize();
    await o.setViewportSize(PHONE);
    const height = await o.evaluate(() => document.documentElement.scrollHeight);
    await o.setViewportSize(size);
    console.log(`outbox page height at ${PHONE.width} px: ${height} px`);
    check(height < 3000, `the outbox is under 3000 px tall on a phone (${height} px)`);
  }
  await o.getByRole('link', { name: 'queued' }).click();
  await o.waitForURL(/status=queued$/);
  await shot(o, '21-outbox-queued');

  // The account page (password change) and a group's settings, checked like every other page.
  await o.goto(`${BASE}/organise/account`);
  check((await text(o)).includes('Change your password'), 'the account page opens');
  await shot(o, '22-account');
  await o.goto(`${BASE}/organise/groups/futures`);
  await o.getByText('Group settings').click();
  await shot(o, '23-group-settings');

  // ---- 5. a series in words: the sentence form, its preview, then a change from a meeting on ----
  await o.goto(`${BASE}/organise/groups/futures`);
  await o.locator('#title').fill('Budget meeting');
  await o.locator('#interval').fill('2');
  await o.locator('#freq').selectOption('monthly');
  await o.locator('#week_of_month').selectOption('3');
  await o.locator('#weekday').selectOption('MO');
  await o.locator('#ends-until').check();
  await o.locator('#until').fill('2027-12-31');
  await o.locator('#first_date').fill('2028-01-01');
  await o.locator('#start_time').fill('14:00');
  await o.locator('#duration').fill('60');
  await shot(o, '24-new-series-form', true);
  await o.getByRole('button', { name: 'Preview the meetings' }).click();
  await o.locator('#until-err').waitFor();
  check((await o.locator('#until').inputValue()) === '2027-12-31', 'an error keeps the typed values');
  await shot(o, '25-new-series-error', true);
  await o.locator('#ends-count').check();
  await o.locator('#count').fill('6');
  await o.getByLabel('Leave out bank holidays').check();
  await o.getByRole('button', { name: 'Preview the meetings' }).click();
  await o.getByRole('heading', { name: 'Check the new meetings' }).waitFor();
  const planned = await text(o);
  check(planned.includes('Every other month on the 3rd Monday, 6 times'), 'the preview says the rule in words');
  check(planned.includes('Monday 20 November 2028'), 'the preview lists the dates');
  await shot(o, '26-new-series-preview', true);
  await o.getByRole('button', { name: 'Create these 6 meetings' }).click();
  await o.waitForURL(/created=\d+$/);
  check((await text(o)).includes('Meetings created.'), 'the series is created');
  const budget = o.locator('article.series', { hasText: 'Budget meeting' });
  await budget.getByText('Change from a meeting on').click();
  await budget.getByLabel('From the meeting on').selectOption('2028-05-15');
  await budget.getByLabel('Starts at').fill('18:00');
  await shot(o, '27-series-change-form');
  await budget.getByRole('button', { name: 'Preview the change' }).click();
  await o.getByRole('heading', { name: 'Check before sending' }).waitFor();
  check((await text(o)).includes('will start at 18:00 instead of 14:00'), 'the series preview says what changes');
  await shot(o, '28-series-change-preview', true);
  await o.getByRole('button', { name: 'Confirm and tell them' }).click();
  await o.waitForURL(/done=changed/);
  check((await text(o)).includes('Saved: the series is changed from Monday 15 May 2028 on'),
    'the group page says what the change did');

  // ---- 6. the month views ----
  // The member's phone: a list of the days that have something on, no grid, no sideways scroll.
  await m.goto(`${BASE}/groups/futures`);
  await m.getByRole('link', { name: 'See the meetings month by month' }).click();
  await m.waitForURL(/\/groups\/futures\/calendar$/);
  await m.goto(`${BASE}/groups/futures/calendar?month=2027-03`);
  const phoneMonth = await m.evaluate(() => {
    const cells = [...document.querySelectorAll('table.month tbody td')];
    const shown = cells.filter((td) => getComputedStyle(td).display !== 'none');
    return {
      cells: cells.length,
      displays: [...new Set(shown.map((td) => getComputedStyle(td).display))],
      texts: shown.map((td) => td.innerText.replace(/\s+/g, ' ').trim()),
      headerHeight: document.querySelector('table.month thead').getBoundingClientRect().height,
      wide: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
  check(phoneMonth.cells === 35, `the phone has the whole month underneath (${phoneMonth.cells} days)`);
  check(phoneMonth.displays.length === 1 && phoneMonth.displays[0] === 'block',
    `on a phone the days are a list, not a grid (${phoneMonth.displays})`);
  check(phoneMonth.headerHeight <= 1, 'the weekday row is out of sight on a phone');
  check(!phoneMonth.wide, 'the month needs no sideways scroll on a phone');
  check(phoneMonth.texts.length >= 3 && phoneMonth.texts.length <= 4,
    `the phone lists only the days with something on (${phoneMonth.texts.length})`);
  check(phoneMonth.texts.some((t) => t.startsWith('Monday 15 March 2027') && t.includes('10:30 Socitm Futures meeting')),
    'the phone lists the 15 March meeting under its date in words');
  check(phoneMonth.texts.some((t) => t.includes('Friday 26 March 2027') && t.includes('Bank holiday: Good Friday')),
    'the phone lists Good Friday');
  check(phoneMonth.texts.some((t) => t.includes('Monday 29 March 2027') && t.includes('Bank holiday: Easter Monday')),
    'the phone lists Easter Monday');
  await shot(m, '29-month-phone');

  // The organiser's desktop: the grid, Monday first, with the moved meeting at the Guildhall.
  await o.goto(`${BASE}/groups/futures/calendar?month=2027-01`);
  const grid = await o.evaluate(() => ({
    heads: [...document.querySelectorAll('table.month thead th')].map((th) => th.innerText.trim()),
    rows: document.querySelectorAll('table.month tbody tr').length,
    display: getComputedStyle(document.querySelector('table.month tbody td')).display,
    dimmed: [...document.querySelectorAll('table.month td.other')].map((td) => getComputedStyle(td).backgroundColor),
  }));
  check(grid.heads.join(',') === 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday',
    `the grid starts on Monday (${grid.heads})`);
  check(grid.rows === 5 && grid.display === 'table-cell', `January 2027 is a grid of 5 weeks (${grid.rows}, ${grid.display})`);
  check(grid.dimmed.length === 4 && grid.dimmed.every((c) => c !== 'rgb(255, 255, 255)'),
    `the days of December 2026 are dimmed (${grid.dimmed.length})`);
  const january = await text(o);
  check(january.includes('10:30 Socitm Futures meeting') && january.includes('Guildhall'),
    'the month shows the moved meeting at its new venue');
  await shot(o, '30-month-group', true);
  await o.getByRole('link', { name: 'February 2027 →' }).click();
  await o.waitForURL(/month=2027-02$/);
  await o.getByRole('link', { name: '← January 2027' }).click();
  await o.waitForURL(/month=2027-01$/);
  await o.getByRole('link', { name: /10:30 Socitm Futures meeting/ }).click();
  await o.waitForURL(/\/meetings\/\d+$/);
  // The venue's month (public groups' meetings, each with its group).
  await o.goto(`${BASE}/groups/futures`);
  const siemens = await o.locator('a[href^="/venues/"]', { hasText: 'Siemens' }).first().getAttribute('href');
  await o.goto(`${BASE}${siemens}`);
  await o.getByRole('link', { name: 'See the meetings here month by month' }).click();
  await o.goto(`${BASE}${siemens}/calendar?month=2027-03`);
  check((await text(o)).includes('Socitm Futures'), 'the venue month names the group');
  await shot(o, '31-month-venue', true);
  // The organiser's own month view, from the group's page.
  await o.goto(`${BASE}/organise/groups/futures`);
  await o.getByRole('link', { name: 'Month by month' }).click();
  await o.waitForURL(/\/organise\/groups\/futures\/calendar$/);
  await o.goto(`${BASE}/organise/groups/futures/calendar?month=2027-01`);
  await o.getByRole('link', { name: /10:30 Socitm Futures meeting/ }).click();
  await o.waitForURL(/\/organise\/meetings\/\d+$/);
  await o.goBack();
  await shot(o, '32-month-organiser');
  // A month that is not one: a readable 400 page, with the organiser's bar kept.
  const bad = await o.goto(`${BASE}/organise/groups/futures/calendar?month=2027-13`);
  check(bad.status() === 400, 'a bad month is a 400');
  check((await text(o)).includes('such as 2027-02'), 'which says how to write a month');
  check(await o.getByRole('button', { name: /Log out/ }).isVisible(), 'the error page keeps the Log out bar');
  await shot(o, '33-month-bad');

  // ---- 7. members from a spreadsheet, and attendance ----
  // Written as Excel's "CSV UTF-8" writes: a byte order mark, CRLF, a quoted cell with a comma,
  // a name that is not ASCII. The first file has a bad role on its third line.
  const csvFile = (rows) => ({
    name: 'members.csv', mimeType: 'text/csv',
    buffer: Buffer.from('\ufeffname,email,organisation,role\r\n' + rows.join('\r\n') + '\r\n', 'utf8'),
  });
  const goodRows = ['Zoë Ångström,zoe.angstrom@example.org,"Kent County Council, IT",chair',
                    'Walter Pryce,walter.pryce@example.org,Socitm,member'];
  await o.goto(`${BASE}/organise/groups/futures/members`);
  await o.getByRole('link', { name: 'Import from a spreadsheet' }).click();
  await o.setInputFiles('#import-file', csvFile([goodRows[0], 'Walter Pryce,walter.pryce@example.org,Socitm,boss']));
  await o.getByRole('button', { name: 'Check' }).first().click();
  await o.waitForURL(/\/members\/import\/check$/);
  let imp = await text(o);
  check(imp.includes('(line 3)'), 'the check names the line of the bad row');
  check(/member, chair or organiser/.test(imp), 'the bad role is explained beside it');
  check(await o.getByRole('button', { name: /^Import \d+ member/ }).count() === 0,
    'a file with a bad row cannot be imported');
  await shot(o, '34-import-error', true);
  await o.setInputFiles('#import-file', csvFile(goodRows));
  await o.getByRole('button', { name: 'Check' }).first().click();
  await o.waitForURL(/\/members\/import\/check$/);
  imp = await text(o);
  check(imp.includes('Zoë Ångström') && imp.includes('Kent County Council, IT'),
    'the check shows the non-ASCII name and the quoted comma as written');
  check((imp.match(/Added/g) || []).length >= 2, 'both rows will be added');
  await shot(o, '35-import-check', true);
  await o.getByRole('button', { name: 'Import 2 members' }).click();
  await o.waitForURL(/\/members\?imported=1/);
  const after = await text(o);
  check(after.includes('Imported: 2 added, 0 updated'), 'the members page says what was imported');
  check(after.includes('zoe.angstrom@example.org'), 'the imported member is listed');
  await shot(o, '36-imported');
  await o.getByRole('link', { name: 'Attendance' }).first().click();
  await o.waitForURL(/\/attendance$/);
  const att = await text(o);
  check(/Attendance in \d{4}/.test(att), 'the attendance page names the year');
  check(await o.getByRole('link', { name: /Download as CSV/ }).isVisible(), 'it links the attendance CSV');
  await shot(o, '37-attendance', true);

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
console.log(`accessibility: ${axePages} page views checked, ${axeViolations} WCAG 2.1 A/AA violations`);
console.log(`browser walk: ${checks - Math.min(checks, failures)} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
