// End-to-end walk through `applink demo` in a real browser (Debian's
// Chromium, driven by playwright-core), the way a newcomer follows it.
//
// Input, from the environment (cmd/applink/browser_test.go sets it):
//   E2E_APP_URL         the applink web UI, e.g. http://127.0.0.1:41234
//   E2E_JIRA_URL        the simulated Jira, e.g. http://127.0.0.1:41235
//   E2E_ADMIN_TOKEN     applink's admin token
//   E2E_SVC_PASSWORD    the password of svc-jira (the service account)
//   E2E_ADMIN_PASSWORD  the password of alex.admin (a personal Jira admin)
//   E2E_SHOTS           folder for one full-page screenshot per step
//   E2E_CHROMIUM        the browser (default /usr/bin/chromium)
//
// Output: one "ok: <step>" line per step passed; on the first failure a
// "FAIL: <step>: <why>" line on stderr, a screenshot named failure-*.png,
// and exit status 1. Secrets given as input are never printed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";

const SERVICE_ACCOUNT = "svc-jira";
const PERSONAL_ADMIN = "alex.admin";
const LINK = "demo";
// Playwright's auto-waiting gives up after this long: a page that is not
// there by then is broken, and a failure should be quick to read.
const WAIT_MS = 15_000;

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`FAIL: setup: the environment variable ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const cfg = {
  app: need("E2E_APP_URL").replace(/\/+$/, ""),
  jira: need("E2E_JIRA_URL").replace(/\/+$/, ""),
  token: need("E2E_ADMIN_TOKEN"),
  svcPass: need("E2E_SVC_PASSWORD"),
  adminPass: need("E2E_ADMIN_PASSWORD"),
  shots: need("E2E_SHOTS"),
  chromium: process.env.E2E_CHROMIUM || "/usr/bin/chromium",
};
const allowedOrigins = new Set([new URL(cfg.app).origin, new URL(cfg.jira).origin]);
mkdirSync(cfg.shots, { recursive: true });

// problems collects what must never happen on any page: an uncaught
// exception, a console error (a CSP violation is reported as one), a
// request to any host but the two loopback servers, a 5xx answer.
const problems = [];
// expected lists console errors that a step announces it will cause, as
// regular expressions; each is allowed once.
let expected = [];
let current = "setup";
let lastPage = null;
let shotCount = 0;

class StepError extends Error {}

function fail(msg) {
  throw new StepError(msg);
}

// visible waits until locator shows, or fails the step saying what a
// person would have missed.
async function visible(locator, what) {
  try {
    await locator.waitFor({ state: "visible", timeout: WAIT_MS });
  } catch {
    fail(`${what} is not shown on ${locator.page().url()}, which says ${await pageSays(locator.page())}`);
  }
  return locator;
}

// absent fails when the page shows locator. Pages are rendered on the
// server, so once a navigation is done the answer is final.
async function absent(locator, what) {
  const n = await locator.count();
  if (n > 0) {
    fail(`${what} is shown on ${locator.page().url()} but should not be`);
  }
}

// arrive waits until page is at a URL that match accepts; otherwise it
// fails saying where the browser is and what that page says.
async function arrive(page, match, what) {
  try {
    await page.waitForURL(match, { timeout: WAIT_MS });
  } catch {
    fail(`${what} was not reached: the browser is on ${page.url()}, which says ${await pageSays(page)}`);
  }
}

// pageSays is the title and any alert of the page, for failure messages.
async function pageSays(page) {
  const parts = [];
  for (const loc of [page.locator("h1"), page.getByRole("alert"), page.locator("#login-error, #jira-message")]) {
    for (const t of await loc.allInnerTexts().catch(() => [])) {
      parts.push(t.replace(/\s+/g, " ").trim());
    }
  }
  return parts.length ? JSON.stringify(parts.join(" | ")) : "nothing recognisable";
}

async function shot(page, name) {
  shotCount++;
  const file = path.join(cfg.shots, `${String(shotCount).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

function onApp(url) {
  return (u) => u.href.startsWith(cfg.app + url);
}

function onJira(url) {
  return (u) => u.href.startsWith(cfg.jira + url);
}

function watch(page, label) {
  lastPage = page;
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  page.on("pageerror", (err) => problems.push(`[${current}] ${label}: uncaught exception on ${page.url()}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") {
      return;
    }
    const text = msg.text();
    const i = expected.findIndex((re) => re.test(text));
    if (i >= 0) {
      expected.splice(i, 1);
      return;
    }
    problems.push(`[${current}] ${label}: console error on ${page.url()}: ${text}`);
  });
  page.on("response", (resp) => {
    if (resp.status() >= 500) {
      problems.push(`[${current}] ${label}: ${resp.status()} from ${new URL(resp.url()).pathname}`);
    }
  });
}

// newWindow opens a browser context (a private window: no cookies shared
// with any other) that refuses every request to another host.
async function newWindow(browser, label, { clipboard = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  if (clipboard) {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: cfg.app });
  }
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (allowedOrigins.has(u.origin)) {
      return route.continue();
    }
    problems.push(`[${current}] ${label}: request to a foreign host refused: ${u.origin}${u.pathname}`);
    return route.abort("blockedbyclient");
  });
  context.on("page", (p) => watch(p, label));
  const page = await context.newPage();
  return { context, page };
}

async function step(name, fn) {
  current = name;
  expected = [];
  const start = performance.now();
  await fn();
  if (problems.length > 0) {
    fail(`the browser saw:\n  ${problems.join("\n  ")}`);
  }
  if (expected.length > 0) {
    fail(`expected console errors did not appear: ${expected.join(", ")}`);
  }
  console.log(`ok: ${name} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
}

// startApproval presses the approval button on the link page (labelled
// label) and returns Jira's authorize URL and applink's approval link.
async function startApproval(page, label) {
  await page.goto(`${cfg.app}/links/${LINK}`);
  // The form posts and is redirected back to this same page: wait for the
  // new page, not the one already shown.
  const reloaded = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === "GET" &&
    r.url().startsWith(`${cfg.app}/links/${LINK}`), { timeout: WAIT_MS }).catch(() => null);
  await page.getByRole("button", { name: label, exact: true }).click();
  if (!(await reloaded)) {
    fail(`"${label}" did not lead back to the link page; the browser is on ${page.url()}, which says ${await pageSays(page)}`);
  }
  await page.waitForLoadState();
  const go = await visible(page.getByRole("link", { name: "Go to Jira" }), '"Go to Jira"');
  const authorize = await go.getAttribute("href");
  if (!authorize.startsWith(`${cfg.jira}/plugins/servlet/oauth/authorize?oauth_token=`)) {
    fail(`"Go to Jira" leads to ${authorize}, not to the simulated Jira's authorize page`);
  }
  const field = await visible(page.getByLabel(`send this approval link to the owner of ${SERVICE_ACCOUNT}`), "the approval link");
  const approval = await field.inputValue();
  if (!approval.startsWith(`${cfg.app}/approve/`)) {
    fail(`the approval link is ${approval}, want ${cfg.app}/approve/...`);
  }
  return { authorize, approval };
}

// approveInJira opens an approval link in a new private window, checks the
// approval page, follows "Continue to Jira", logs in as user and clicks
// button ("Allow" or "Deny"); it returns that window on applink's
// callback page.
async function approveInJira(browser, approval, user, password, button, tag) {
  const win = await newWindow(browser, `private window (${user})`);
  const page = win.page;
  await page.goto(approval);
  await visible(page.getByRole("heading", { name: "Approve applink's access to Jira" }), "the approval page's title");
  await visible(page.getByText(cfg.jira, { exact: true }), `the Jira site ${cfg.jira}`);
  await visible(page.getByRole("alert").getByRole("heading", { name: `Log in as ${SERVICE_ACCOUNT}, not as yourself` }),
    `the warning to log in as ${SERVICE_ACCOUNT}`);
  await shot(page, `${tag}-approval-page`);

  await page.getByRole("link", { name: "Continue to Jira" }).click();
  await arrive(page, onJira("/"), "the simulated Jira");
  await visible(page.getByRole("heading", { name: "Log in to Jira" }), "Jira's login page");
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await shot(page, `${tag}-jira-login`);
  await page.getByRole("button", { name: "Log In" }).click();

  await visible(page.getByRole("heading", { name: "Welcome to Jira" }), "Jira's approval page");
  await visible(page.getByText(`(${user})`), `Jira saying who is logged in (${user})`);
  await shot(page, `${tag}-jira-approve`);
  await page.getByRole("button", { name: button, exact: true }).click();
  await arrive(page, onApp("/oauth/callback?"), "applink's callback page");
  return win;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: cfg.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    await walk(browser);
  } catch (err) {
    if (lastPage && !lastPage.isClosed()) {
      await lastPage.screenshot({ path: path.join(cfg.shots, "failure.png"), fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    await browser.close();
  }
}

// selfCheck proves that the watchers see what they are there for: an
// inline script (which both servers' Content-Security-Policy must refuse)
// and a request to another host (localhost instead of 127.0.0.1: another
// origin, still on this machine should the refusal fail).
async function selfCheck(browser) {
  const win = await newWindow(browser, "self-check window");
  const inject = () => {
    const s = document.createElement("script");
    s.textContent = "document.body.dataset.inline = 'ran'";
    document.head.appendChild(s);
    return document.body.dataset.inline || "blocked";
  };
  for (const [site, url] of [["applink", `${cfg.app}/login`], ["the simulated Jira", `${cfg.jira}/`]]) {
    expected = [/Content Security Policy/];
    await win.page.goto(url);
    const reported = win.page.waitForEvent("console", {
      predicate: (m) => m.type() === "error" && /Content Security Policy/.test(m.text()),
      timeout: WAIT_MS,
    }).then(() => true, () => false);
    if ((await win.page.evaluate(inject)) !== "blocked") {
      fail(`${site} let an inline script run: its Content-Security-Policy does not protect ${url}`);
    }
    if (!(await reported) || expected.length > 0) {
      fail(`${site}'s refusal of an inline script did not reach the console: console errors would go unseen`);
    }
  }
  const foreign = new URL(cfg.app);
  foreign.hostname = "localhost";
  foreign.pathname = "/healthz";
  const refused = await win.page.goto(foreign.href).then(() => false, () => true);
  const seen = problems.findIndex((p) => p.includes("request to a foreign host refused: http://localhost:"));
  if (!refused || seen < 0) {
    fail(`a request to ${foreign.origin} was not refused and reported`);
  }
  problems.splice(seen, 1);
  await win.context.close();
}

async function walk(browser) {
  await step("self-check: an inline script is refused by both sites' CSP and reported, a foreign request is refused", () => selfCheck(browser));

  const admin = await newWindow(browser, "admin window", { clipboard: true });
  const page = admin.page;

  await step("login: the admin token signs in and the dashboard lists the link demo", async () => {
    await page.goto(`${cfg.app}/login`);
    await visible(page.getByRole("heading", { name: "Sign in" }), "the sign-in page");
    await page.getByLabel("Admin token").fill(cfg.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await arrive(page, `${cfg.app}/`, "the dashboard");
    await visible(page.getByRole("heading", { name: "Links" }), "the dashboard");
    await visible(page.getByRole("link", { name: LINK, exact: true }), `the link "${LINK}"`);
    await shot(page, "dashboard");
  });

  await step("link page: progress steps shown, Copy puts the consumer key on the clipboard", async () => {
    await page.getByRole("link", { name: LINK, exact: true }).click();
    await arrive(page, `${cfg.app}/links/${LINK}`, "the link page");
    await visible(page.getByRole("heading", { name: "Progress" }), "the Progress section");
    const steps = page.locator("section", { has: page.getByRole("heading", { name: "Progress" }) }).getByRole("listitem");
    const n = await steps.count();
    if (n < 3) {
      fail(`the Progress section shows ${n} steps, want at least 3`);
    }
    await visible(steps.first(), "the first progress step");

    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Consumer Key", exact: true }) });
    const key = (await row.locator("code").textContent()).trim();
    if (!key) {
      fail("the Consumer Key is empty");
    }
    const copy = await visible(row.getByRole("button", { name: "Copy" }), "the Copy button of the Consumer Key (app.js shows it)");
    await page.evaluate(() => navigator.clipboard.writeText("before the click"));
    await copy.click();
    // The clipboard holds exactly the key once the click's promise settles.
    await page.waitForFunction((want) => navigator.clipboard.readText().then((got) => got === want), key, { timeout: WAIT_MS })
      .catch(async () => fail(`after Copy the clipboard holds ${JSON.stringify(await page.evaluate(() => navigator.clipboard.readText()))}, want the consumer key ${JSON.stringify(key)}`));
    await shot(page, "link-page");
  });

  let first;
  await step('start approval: "Go to Jira" and the approval link are shown', async () => {
    first = await startApproval(page, "Start approval");
    await visible(page.getByRole("heading", { name: "Before anyone opens Jira" }), "the warning before Jira");
    await shot(page, "approval-started");
  });

  await step(`wrong account: ${PERSONAL_ADMIN} approves in a private window and the callback warns`, async () => {
    const win = await approveInJira(browser, first.approval, PERSONAL_ADMIN, cfg.adminPass, "Allow", "wrong-account");
    const cb = win.page;
    const alert = await visible(cb.getByRole("alert").filter({
      has: cb.getByRole("heading", { name: /^Approved by the wrong account: .*alex\.admin/ }),
    }), `the wrong-account warning naming ${PERSONAL_ADMIN}`);
    const text = await alert.textContent();
    for (const want of [PERSONAL_ADMIN, SERVICE_ACCOUNT, "private"]) {
      if (!text.includes(want)) {
        fail(`the wrong-account warning does not mention "${want}": ${text.trim()}`);
      }
    }
    await absent(cb.getByRole("status"), "a success message");
    await shot(cb, "wrong-account-callback");
    await win.context.close();
  });

  await step("admin sees the warning and who approved", async () => {
    await page.goto(`${cfg.app}/links/${LINK}`);
    await visible(page.getByRole("alert").filter({ has: page.getByRole("heading", { name: "Warning" }) })
      .filter({ hasText: PERSONAL_ADMIN }).filter({ hasText: SERVICE_ACCOUNT }), "the link page's wrong-account warning");
    await visible(page.getByRole("definition").filter({ hasText: `(${PERSONAL_ADMIN})` }), `"Approved by ... (${PERSONAL_ADMIN})"`);
    await shot(page, "link-page-warning");
    await page.goto(`${cfg.app}/`);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: LINK, exact: true }) });
    await visible(row.filter({ hasText: PERSONAL_ADMIN }).getByText("not the service account"),
      `the dashboard's "not the service account" badge next to ${PERSONAL_ADMIN}`);
    await visible(page.getByText(/not by the service account/), "the dashboard's warning");
    await shot(page, "dashboard-warning");
  });

  await step(`service account: ${SERVICE_ACCOUNT} approves, the callback says success, the warning is gone`, async () => {
    const second = await startApproval(page, "Approve again");
    if (second.approval === first.approval || second.authorize === first.authorize) {
      fail("a new approval reused the previous approval link or request token");
    }
    const win = await approveInJira(browser, second.approval, SERVICE_ACCOUNT, cfg.svcPass, "Allow", "service-account");
    const cb = win.page;
    await visible(cb.getByRole("status").getByRole("heading", { name: /Approved by .*svc-jira/ }), `the success message naming ${SERVICE_ACCOUNT}`);
    await absent(cb.getByRole("alert"), "a warning or error");
    await shot(cb, "service-account-callback");
    await win.context.close();

    await page.goto(`${cfg.app}/`);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: LINK, exact: true }) });
    await visible(row.getByText("Authorized", { exact: true }), 'the state "Authorized"');
    await visible(row.getByRole("cell").filter({ hasText: `(${SERVICE_ACCOUNT})` }).getByTitle("the service account"),
      `"Approved by ... (${SERVICE_ACCOUNT}) ✓"`);
    await absent(page.getByText("not the service account"), 'the "not the service account" badge');
    await absent(page.getByText(/not by the service account/), "the wrong-account warning");
    await shot(page, "dashboard-authorized");
    await page.goto(`${cfg.app}/links/${LINK}`);
    await absent(page.getByRole("alert"), "a warning or error on the link page");
  });

  await step("deny: the callback page explains the denial, the earlier token is kept", async () => {
    const third = await startApproval(page, "Approve again");
    // The callback answers a denial with 403, which Chromium reports as a
    // console error of the page itself.
    expected = [/status of 403/];
    const win = await approveInJira(browser, third.approval, SERVICE_ACCOUNT, cfg.svcPass, "Deny", "deny");
    const cb = win.page;
    await visible(cb.getByRole("heading", { name: "Access denied", level: 1 }), 'the title "Access denied"');
    await visible(cb.getByRole("alert").filter({ hasText: /denied/i }).filter({ hasText: /Allow/ }),
      "the denial's diagnosis and what to do");
    await shot(cb, "deny-callback");
    await win.context.close();

    await page.goto(`${cfg.app}/links/${LINK}`);
    await visible(page.getByRole("alert").filter({ hasText: /denied/i }), "the denial on the link page");
    await visible(page.getByRole("definition").filter({ hasText: `(${SERVICE_ACCOUNT})` }), `the token approved by ${SERVICE_ACCOUNT}, kept`);
    await shot(page, "link-page-denied");
  });

  current = "end";
  if (problems.length > 0) {
    fail(`the browser saw:\n  ${problems.join("\n  ")}`);
  }
  console.log("ok: no page error, console error or request to another host");
}

try {
  await main();
} catch (err) {
  const why = err instanceof StepError ? err.message : (err && err.stack) || String(err);
  console.error(`FAIL: ${current}: ${why}`);
  process.exit(1);
}
