import { Browser, expect, Page, test as base, WebSocketRoute } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export const PASSWORD = "switchboard-demo";

/** Runs the `switchboard` command on the server under test's data (scripts/test.sh passes
 * the binary and the data directory), as an operator would on the server. */
export function switchboard(...args: string[]): string {
  const bin = process.env.SWITCHBOARD_BIN;
  const dataDir = process.env.SWITCHBOARD_E2E_DATA_DIR;
  expect(bin, "SWITCHBOARD_BIN names the server binary").toBeTruthy();
  expect(dataDir, "SWITCHBOARD_E2E_DATA_DIR names the server's data directory").toBeTruthy();
  return execFileSync(bin!, args, {
    env: { ...process.env, SWITCHBOARD_DATA_DIR: dataDir!, SWITCHBOARD_LOG: "warn" },
  }).toString();
}

/** A test's own copy of the demo workspace: its sign-ins (password `PASSWORD`) and its chat. */
export type Workspace = {
  owner: string;
  admin: string;
  supervisor: string;
  agent: string;
  agent2: string;
  /** The path of its web chat, `/chat/<name>-web`. */
  chat: string;
};

/** Makes a new copy of the demo workspace (`switchboard seed-demo --copy`). */
export function demoCopy(): Workspace {
  const name = `e2e-${randomBytes(6).toString("hex")}`;
  switchboard("seed-demo", "--copy", name);
  const email = (who: string) => `${who}@${name}.switchboard.test`;
  return {
    owner: email("owner"),
    admin: email("admin"),
    supervisor: email("supervisor"),
    agent: email("agent1"),
    agent2: email("agent2"),
    chat: `/chat/${name}-web`,
  };
}

/** Every test gets its own workspace (`ws`), so tests share no members, conversations or
 * settings and pass in any order. */
export const test = base.extend<{ ws: Workspace }>({
  // eslint-disable-next-line no-empty-pattern
  ws: async ({}, use) => {
    await use(demoCopy());
  },
});
export { expect };

/** Waits until the WASM has hydrated the page, so clicks reach Leptos' handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Saves a screenshot for people to look at (not compared by the tests). */
export async function snap(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png` });
}

/** `email` signed in, in a browser of their own, on `path` once hydrated. */
export async function signedInAt(browser: Browser, email: string, path: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email);
  await expect(page).toHaveURL(/\/inbox$/);
  if (path !== "/inbox") await page.goto(path);
  await hydrated(page);
  return { context, page };
}

/** Signs `email` in on `page` and takes them live on their workflows, online. */
export async function goLive(page: Page, email: string) {
  await signIn(page, email);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await expect(page.getByTestId("status-control")).not.toContainText("Connecting");
  if ((await page.getByTestId("status-select").count()) === 0) {
    await page.getByTestId("go-live").locator("summary").click();
    await page.getByRole("button", { name: "Start taking conversations" }).click();
  }
  await expect(page.getByTestId("status-select")).toHaveValue("online");
}

/** A visitor's chat at `path`, loaded and connected. */
export async function openChat(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
}

/** Writes `text` in the visitor's chat and waits until it shows as theirs. */
export async function say(chat: Page, text: string) {
  await chat.getByLabel("Message").fill(text);
  await chat.getByLabel("Message").press("Enter");
  await expect(chat.locator('[data-sender="contact"]').filter({ hasText: text })).toBeVisible();
}

/** Three requests for a person: the demo workflow hands the chat over at the third. */
export const ASK_FOR_A_PERSON = ["Can I talk to a human?", "I want a real person please", "agent!"];

/** Routes `page`'s sockets to `url` through the test. While `holding`, the first connection
 * passes on what the page sends but nothing the server sends (a socket that cannot keep up, or
 * answers lost on the way); `dropFirst` closes that connection as the server would. */
export async function relaySockets(page: Page, url: RegExp) {
  let first: { page: WebSocketRoute; server: WebSocketRoute } | undefined;
  const relay = {
    connections: 0,
    holding: false,
    async dropFirst(code: number, reason: string) {
      await first!.page.close({ code, reason });
      await first!.server.close();
    },
  };
  await page.routeWebSocket(url, (socket) => {
    relay.connections += 1;
    const mine = relay.connections;
    const server = socket.connectToServer();
    if (mine === 1) first = { page: socket, server };
    socket.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      if (!(relay.holding && mine === 1)) socket.send(m);
    });
  });
  return relay;
}
