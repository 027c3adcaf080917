import { Browser, Page } from "@playwright/test";
import { expect, hydrated, signIn, snap, test, Workspace } from "./helpers";

/** A visitor in their own browser who asks for a person three times; `marker` finds them. */
async function escalatedVisitor(browser: Browser, ws: Workspace, marker: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(ws.chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  const box = page.getByLabel("Message");
  for (const [i, text] of ["I need a human", "a real person please", "agent"].entries()) {
    await box.fill(`${text} ${marker}-${i}`);
    await box.press("Enter");
    await expect(page.locator('[data-sender="contact"]').filter({ hasText: `${marker}-${i}` })).toBeVisible();
  }
  await expect(page.locator('[data-sender="system"]').first()).toHaveText("A human agent will be with you shortly.");
  return { context, page, box };
}

/** Signs in as an operator with desktop notifications and tab visibility under the test's control. */
async function operatorPage(browser: Browser, email: string) {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const w = window as any;
    w.__notifications = [];
    w.__hidden = false;
    class FakeNotification {
      static permission = "granted";
      static requestPermission() {
        return Promise.resolve("granted");
      }
      onclick: unknown = null;
      constructor(title: string, options?: { body?: string }) {
        w.__notifications.push({ title, body: options?.body ?? "" });
      }
    }
    w.Notification = FakeNotification;
    Object.defineProperty(document, "hidden", { get: () => w.__hidden });
  });
  const page = await context.newPage();
  await signIn(page, email);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await expect(page.getByTestId("inbox-connection")).toHaveText("Live");
  return { context, page };
}

/** Finds the visitor's conversation by searching for its marker, and opens it. */
async function openConversation(page: Page, marker: string) {
  await page.getByLabel("Search conversations").fill(marker);
  await expect(page).toHaveURL(new RegExp(`q=${marker}`));
  const row = page.getByTestId("conversation-row");
  await expect(row).toHaveCount(1);
  await row.click();
  await expect(page).toHaveURL(/\/inbox\/\d+/);
  await expect(page.getByTestId("thread")).toContainText(marker);
}

/** Leaves nothing assigned behind, so later specs start from the same team load. */
async function resolve(page: Page) {
  await page.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByTestId("conversation-status")).toHaveText("resolved");
}

test("typing shows both ways, and a note stays with the team and never reaches the widget", async ({ browser, ws }) => {
  const visitor = await escalatedVisitor(browser, ws, "typing-note");
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;
  await openConversation(op, "typing-note");
  // Once a new message shows up live, the operator's page follows the conversation.
  await visitor.box.fill("One more thing");
  await visitor.box.press("Enter");
  await expect(op.getByTestId("thread")).toContainText("One more thing");

  // The customer composing is shown to the operator.
  await visitor.box.fill("I am writing a long question");
  await expect(op.getByTestId("typing")).toHaveText(/Visitor \d+ is typing…/);
  await op.getByRole("button", { name: "Take over" }).click();
  await expect(op.getByTestId("conversation-status")).toHaveText("active");

  // The operator composing is shown to the customer.
  await op.getByLabel("Reply").fill("Let me check that for you");
  await expect(visitor.page.getByTestId("typing")).toHaveText("Ava Agent is typing…");
  await op.getByLabel("Reply").press("Enter");
  await expect(visitor.page.locator('[data-sender="operator"]').filter({ hasText: "Let me check that for you" })).toBeVisible();

  // A note, from the composer's Note tab and from the panel.
  await op.getByRole("tab", { name: "Note" }).click();
  await op.getByLabel("Note for your team").fill("Refund approved by finance, ref 4471");
  await op.getByRole("button", { name: "Save note" }).first().click();
  await expect(op.getByTestId("thread").locator('[data-sender="internal"]').filter({ hasText: "ref 4471" })).toContainText("Note by Ava Agent");
  await op.getByLabel("New note").fill("Customer prefers e-mail");
  await op.getByTestId("info-panel").getByRole("button", { name: "Save note" }).click();
  await expect(op.getByTestId("notes").getByTestId("note")).toHaveCount(2);
  await op.getByRole("tab", { name: "Reply" }).click();
  await op.getByLabel("Reply").fill("All sorted, you will get an e-mail.");
  await op.getByLabel("Reply").press("Enter");
  await expect(visitor.page.locator('[data-sender="operator"]').filter({ hasText: "All sorted" })).toBeVisible();
  await expect(visitor.page.getByTestId("chat")).not.toContainText("ref 4471");
  await expect(visitor.page.getByTestId("chat")).not.toContainText("prefers e-mail");
  // Not after a reload either.
  await visitor.page.reload();
  await hydrated(visitor.page);
  await expect(visitor.page.locator('[data-sender="operator"]').filter({ hasText: "All sorted" })).toBeVisible();
  await expect(visitor.page.getByTestId("chat")).not.toContainText("ref 4471");
  await snap(op, "conversation-with-notes");

  await resolve(op);
  await operator.context.close();
  await visitor.context.close();
});

test("a canned response with macros sends the personalised text, and an unknown macro is stopped", async ({ browser, ws }) => {
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;
  await op.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Canned responses" }).click();
  await expect(op).toHaveURL(/\/canned$/);
  await hydrated(op);
  await op.getByLabel("Shortcut").fill("thanks");
  await op.getByLabel("Title").fill("Thank the customer");
  await op.getByLabel("Text").fill("Thanks {{contact.first_name | there}}, I'm {{operator.name}}. Anything else?");
  await op.getByRole("button", { name: "Add canned response" }).click();
  await expect(op.getByTestId("canned-item").filter({ hasText: "/thanks" })).toContainText("Only you");
  // A broken macro is refused when saving.
  await op.getByLabel("Shortcut").fill("broken");
  await op.getByLabel("Title").fill("Broken");
  await op.getByLabel("Text").fill("Dear {{customer.name}}");
  await op.getByRole("button", { name: "Add canned response" }).click();
  await expect(op.getByTestId("canned-problem")).toContainText("{{customer.name}} is not a macro");
  await snap(op, "canned-responses");

  const visitor = await escalatedVisitor(browser, ws, "canned-macro");
  await op.goto("/inbox");
  await hydrated(op);
  await openConversation(op, "canned-macro");
  await op.getByRole("button", { name: "Take over" }).click();
  await expect(op.getByTestId("conversation-status")).toHaveText("active");
  // Name the contact in the panel; macros use it.
  const contact = op.getByTestId("contact");
  await contact.getByLabel("Name").fill("Maria Lopez");
  await contact.getByRole("button", { name: "Save contact" }).click();
  await expect(contact.getByText("Saved.")).toBeVisible();
  await expect(op.getByTestId("conversation-title")).toHaveText("Maria Lopez");

  const composer = op.getByLabel("Reply");
  await composer.fill("/tha");
  const popup = op.getByTestId("canned-popup");
  await expect(popup.getByRole("option")).toHaveCount(1);
  await composer.press("Enter");
  await expect(composer).toHaveValue("Thanks {{contact.first_name | there}}, I'm {{operator.name}}. Anything else?");
  await expect(op.getByTestId("macro-preview")).toHaveText("Sends as: Thanks Maria, I'm Ava Agent. Anything else?");
  await composer.press("Enter");
  await expect(visitor.page.locator('[data-sender="operator"]').filter({ hasText: "Thanks Maria, I'm Ava Agent. Anything else?" })).toBeVisible();

  await composer.fill("Hello {{contact.nmae}}");
  await expect(op.getByTestId("macro-warning")).toContainText("{{contact.nmae}} is not a macro");
  await composer.press("Enter");
  await expect(op.getByTestId("inbox-problem")).toContainText("Not sent");
  await expect(visitor.page.getByTestId("chat")).not.toContainText("nmae");

  await resolve(op);
  await operator.context.close();
  await visitor.context.close();
});

test("an unread badge appears when the customer writes and clears once read; a hidden tab is notified", async ({ browser, ws }) => {
  const visitor = await escalatedVisitor(browser, ws, "unread-badge");
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;
  await openConversation(op, "unread-badge");
  await op.getByRole("button", { name: "Take over" }).click();
  await expect(op.getByTestId("conversation-status")).toHaveText("active");
  // Back to the list: the conversation is read, so no badge.
  await op.goto("/inbox?view=mine&status=active");
  await hydrated(op);
  const row = op.getByTestId("conversation-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("unread")).toHaveCount(0);

  await visitor.box.fill("Hello? Still there?");
  await visitor.box.press("Enter");
  await expect(row.getByTestId("unread")).toHaveText("1");
  await expect(op).toHaveTitle(/^\(1\) Inbox/);
  await snap(op, "inbox-unread");

  // While the tab is hidden, a message in one of mine rings and notifies.
  await op.evaluate(() => ((window as any).__hidden = true));
  await visitor.box.fill("I will wait");
  await visitor.box.press("Enter");
  await expect(row.getByTestId("unread")).toHaveText("2");
  await expect.poll(() => op.evaluate(() => (window as any).__notifications.map((n: any) => n.title))).toContainEqual(expect.stringMatching(/^New message from Visitor \d+$/));
  await op.evaluate(() => ((window as any).__hidden = false));

  await row.click();
  await expect(op.getByTestId("thread")).toContainText("I will wait");
  await expect(op.getByTestId("conversation-row").filter({ hasText: "I will wait" }).getByTestId("unread")).toHaveCount(0);
  await expect(op).toHaveTitle(/^Inbox/);

  await resolve(op);
  await operator.context.close();
  await visitor.context.close();
});

test("formatting renders in the inbox and the widget, and markup a customer types stays text", async ({ browser, ws }) => {
  const visitor = await escalatedVisitor(browser, ws, "format-xss");
  await visitor.box.fill('<img src=x onerror="window.__xss=1"> and [click](javascript:window.__xss=2)');
  await visitor.box.press("Enter");
  await visitor.box.fill("**bold words** and https://example.com/help");
  await visitor.box.press("Enter");
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;
  await openConversation(op, "format-xss");
  const thread = op.getByTestId("thread");
  await expect(thread).toContainText('<img src=x onerror="window.__xss=1">');
  await expect(thread.locator("strong", { hasText: "bold words" })).toBeVisible();
  await expect(thread.getByRole("link", { name: "https://example.com/help" })).toHaveAttribute("href", "https://example.com/help");
  await expect(thread.locator('a[href^="javascript"]')).toHaveCount(0);
  await expect(thread.locator("img")).toHaveCount(0);

  await op.getByRole("button", { name: "Take over" }).click();
  await op.getByLabel("Reply").fill("**Done**\n- first step\n- second step\nSee [the guide](https://example.com/guide)");
  await op.getByLabel("Reply").press("Enter");
  const reply = visitor.page.locator('[data-sender="operator"]').last();
  await expect(reply.locator("strong")).toHaveText("Done");
  await expect(reply.locator("li")).toHaveCount(2);
  await expect(reply.getByRole("link", { name: "the guide" })).toHaveAttribute("href", "https://example.com/guide");
  expect(await op.evaluate(() => (window as any).__xss)).toBeUndefined();
  expect(await visitor.page.evaluate(() => (window as any).__xss)).toBeUndefined();
  await snap(visitor.page, "widget-formatting");

  await resolve(op);
  await operator.context.close();
  await visitor.context.close();
});

test("files go both ways and open for the people in the conversation", async ({ browser, ws }) => {
  const visitor = await escalatedVisitor(browser, ws, "files-both-ways");
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;
  await openConversation(op, "files-both-ways");
  await op.getByRole("button", { name: "Take over" }).click();
  await op.getByLabel("Attach files").setInputFiles({ name: "steps.txt", mimeType: "text/plain", buffer: Buffer.from("1. Unplug\n2. Wait\n") });
  await expect(op.getByTestId("pending-files")).toContainText("steps.txt");
  await op.getByLabel("Reply").fill("Here are the steps");
  await op.getByLabel("Reply").press("Enter");
  const link = visitor.page.getByTestId("attachment-link").filter({ hasText: "steps.txt" });
  await expect(link).toBeVisible();
  const href = await link.getAttribute("href");
  // A signed link for this file: the visitor's token never goes in a URL.
  expect(href).toMatch(/^\/attachments\/\d+\?expires=\d+&sig=[0-9a-f]+$/);
  const token = await visitor.page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith("switchboard.visitor."))?.[1]);
  expect(token).toMatch(/^v2\./);
  expect(href).not.toContain(token!);
  const download = await visitor.page.request.get(href!);
  expect(download.status()).toBe(200);
  expect(await download.text()).toContain("Unplug");

  // A file that is not what it says is refused in words.
  await op.getByLabel("Attach files").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: Buffer.from("<html>not an image</html>") });
  await expect(op.getByTestId("inbox-problem")).toContainText("is not really a PNG image");

  await visitor.page.getByLabel("Attach a file").setInputFiles({ name: "receipt.txt", mimeType: "text/plain", buffer: Buffer.from("Receipt 4471") });
  await visitor.page.getByRole("button", { name: "Send" }).click();
  await expect(op.getByTestId("thread").getByTestId("attachment-link").filter({ hasText: "receipt.txt" })).toBeVisible();

  await resolve(op);
  await operator.context.close();
  await visitor.context.close();
});

test("keyboard shortcuts move through the inbox and a help sheet lists them", async ({ browser, ws }) => {
  // Two customers waiting, so there is somewhere to move to.
  const earlier = await escalatedVisitor(browser, ws, "shortcut-earlier");
  const visitor = await escalatedVisitor(browser, ws, "shortcut-keys");
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;
  await op.keyboard.press("?");
  const help = op.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toBeVisible();
  await expect(help).toContainText("Next conversation");
  await snap(op, "shortcut-help");
  await op.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await op.keyboard.press("j");
  await expect(op).toHaveURL(/\/inbox\/\d+/);
  const first = op.url();
  await op.keyboard.press("j");
  await expect(op).not.toHaveURL(first);
  await op.keyboard.press("k");
  await expect(op).toHaveURL(first);
  await op.keyboard.press("r");
  await expect(op.getByLabel("Reply")).toBeFocused();
  // The frame stays put: only the list, the thread and the panel scroll.
  expect(await op.evaluate(() => document.documentElement.scrollHeight)).toBe(await op.evaluate(() => window.innerHeight));
  await op.keyboard.press("Escape");
  await op.keyboard.press("/");
  await expect(op.getByLabel("Search conversations")).toBeFocused();
  await snap(op, "inbox-conversation-panel");
  await operator.context.close();
  await visitor.context.close();
  await earlier.context.close();
});

test("an agent merges the contact of a customer who wrote from two browsers", async ({ browser, ws }) => {
  const laptop = await escalatedVisitor(browser, ws, "merge-laptop");
  const phone = await escalatedVisitor(browser, ws, "merge-phone");
  const operator = await operatorPage(browser, ws.agent);
  const op = operator.page;

  // The phone's contact is named by the team.
  await openConversation(op, "merge-phone");
  const contact = op.getByTestId("contact");
  await contact.getByLabel("Name", { exact: true }).fill("Ada Merged");
  await contact.getByRole("button", { name: "Save contact" }).click();
  await expect(contact.getByRole("status")).toHaveText("Saved.");

  // From the laptop's conversation, the agent finds her and merges.
  await op.getByLabel("Search conversations").fill("");
  await openConversation(op, "merge-laptop");
  await expect(contact.getByTestId("earlier")).toHaveText("None.");
  await contact.getByText("Merge with another contact").click();
  await contact.getByLabel("Find another contact").fill("Ada Mer");
  await contact.getByRole("button", { name: "Find" }).click();
  await contact.getByRole("button", { name: "Merge Ada Merged into this contact" }).click();
  await expect(contact.getByTestId("merge-contacts").getByRole("status")).toHaveText("Merged Ada Merged into this contact.");
  await expect(contact.getByTestId("earlier").locator("li")).toHaveCount(1);
  await snap(op, "contact-merged");

  await operator.context.close();
  await laptop.context.close();
  await phone.context.close();
});
