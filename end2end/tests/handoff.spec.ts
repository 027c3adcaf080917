import { ASK_FOR_A_PERSON, expect, hydrated, openChat, relaySockets, say, signIn, snap, test } from "./helpers";

test("a visitor asks for a human, an operator takes over and replies live, then hands back to the AI", async ({ browser, ws }) => {
  const operatorContext = await browser.newContext();
  const operator = await operatorContext.newPage();
  await signIn(operator, ws.agent);
  await expect(operator).toHaveURL(/\/inbox$/);
  await hydrated(operator);
  await expect(operator.getByTestId("inbox-connection")).toHaveText("Live");

  const visitorContext = await browser.newContext();
  const site = await visitorContext.newPage();
  await site.goto(`/demo-site.html?channel=${ws.chat.replace("/chat/", "")}`);
  await site.getByRole("button", { name: "Chat with us" }).click();
  const chat = site.frameLocator('iframe[title="Chat"]');
  await expect(chat.getByTestId("connection")).toHaveText("Connected");
  const box = chat.getByLabel("Message");

  for (const text of ["Can I talk to a human?", "I want a real person please", "agent!"]) {
    await box.fill(text);
    await box.press("Enter");
    await expect(chat.locator('[data-sender="contact"]').filter({ hasText: text })).toBeVisible();
  }
  await expect(chat.locator('[data-sender="system"]').first()).toHaveText("A human agent will be with you shortly.");
  // Nobody is live yet: the visitor learns their place in line and the assistant keeps helping.
  await expect(chat.getByTestId("queue-position")).toContainText("You are next in line");
  await snap(site, "widget-handoff");

  // The operator's inbox shows it as waiting, with no reload.
  const row = operator.getByTestId("conversation-row").filter({ has: operator.getByTestId("status").getByText("waiting") }).first();
  await expect(row).toBeVisible();
  // The preview is the customer's latest words, not Switchboard's notices.
  await expect(row).toContainText("agent!");
  // The channel's colour marks where the conversation came from.
  await expect(row.getByTestId("channel-chip")).toHaveCSS("background-color", "rgb(3, 105, 161)");
  await row.click();
  await expect(operator.getByTestId("thread")).toContainText("Can I talk to a human?");
  await operator.getByRole("button", { name: "Take over" }).click();
  await expect(operator.getByTestId("conversation-status")).toHaveText("active");
  await expect(chat.locator('[data-sender="system"]').last()).toHaveText("Ava Agent joined the conversation.");

  const reply = operator.getByLabel("Reply");
  await reply.fill("Hi, this is Ava. How can I help?");
  await reply.press("Enter");
  const answer = chat.locator('[data-sender="operator"]').filter({ hasText: "Hi, this is Ava. How can I help?" });
  await expect(answer).toBeVisible();
  await expect(answer).toContainText("Ava Agent");
  await snap(operator, "inbox-conversation");

  await operator.getByRole("button", { name: "Restore to AI" }).click();
  await expect(operator.getByRole("button", { name: "Take over" })).toBeVisible();
  await box.fill("How do I reset my password?");
  await box.press("Enter");
  await expect(chat.locator('[data-sender="ai"]').filter({ hasText: "Forgot password" })).toBeVisible();
  await expect(operator.getByTestId("thread").locator('[data-sender="ai"]').filter({ hasText: "Forgot password" })).toBeVisible();
  await snap(site, "widget-after-restore");

  await operatorContext.close();
  await visitorContext.close();
});

test("handing back waits for the operator's reply, and a reply cut off by a dropped socket is sent again, once", async ({ browser, ws }) => {
  const visitor = await (await browser.newContext()).newPage();
  await openChat(visitor, ws.chat);
  for (const text of ASK_FOR_A_PERSON) await say(visitor, text);

  // The console's socket goes through the test: while holding, the server's answers stop.
  const operator = await (await browser.newContext()).newPage();
  const relay = await relaySockets(operator, /\/ws\/operator$/);
  await signIn(operator, ws.agent);
  await expect(operator).toHaveURL(/\/inbox$/);
  await hydrated(operator);
  await expect(operator.getByTestId("inbox-connection")).toHaveText("Live");
  await operator.getByTestId("conversation-row").filter({ has: operator.getByTestId("status").getByText("waiting") }).first().click();
  await operator.getByRole("button", { name: "Take over" }).click();
  await expect(operator.getByTestId("conversation-status")).toHaveText("active");

  // The reply reaches the customer, but the console has not heard so: it is still "Sending…",
  // and handing back (which the reply would undo, were it stored after) waits for it.
  relay.holding = true;
  const text = "One moment, I am checking your order.";
  await operator.getByLabel("Reply").fill(text);
  await operator.getByLabel("Reply").press("Enter");
  await expect(visitor.locator('[data-sender="operator"]').filter({ hasText: text })).toHaveCount(1);
  const thread = operator.getByTestId("thread");
  await expect(thread).toContainText("Sending…");
  await expect(thread.getByText("Sending…")).toBeInViewport();
  const restore = operator.getByRole("button", { name: "Restore to AI" });
  await expect(restore).toBeDisabled();
  await expect(restore).toHaveAttribute("title", /still being sent/);
  await snap(operator, "inbox-reply-sending");

  // The socket drops before the answer came: the console reconnects, sends the reply again
  // under the same key, and the server confirms the one it stored.
  await relay.dropFirst(1012, "restarting");
  await expect.poll(() => relay.connections).toBeGreaterThan(1);
  await expect(operator.getByTestId("inbox-connection")).toHaveText("Live");
  await expect(thread).not.toContainText("Sending…");
  await expect(thread.getByText(text)).toHaveCount(1);
  await expect(restore).toBeEnabled();

  await restore.click();
  await expect(operator.getByTestId("conversation-status")).toHaveText("open");
  await expect(operator.getByText("The assistant is handling this conversation")).toBeVisible();
  await expect(visitor.locator('[data-sender="operator"]').filter({ hasText: text })).toHaveCount(1);
});

test("a reload of the chat continues the same conversation", async ({ page, ws }) => {
  await page.goto(ws.chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  await page.getByLabel("Message").fill("What are your opening hours?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator('[data-sender="ai"]')).toContainText("Monday to Friday");
  await page.reload();
  await hydrated(page);
  await expect(page.locator('[data-sender="contact"]')).toHaveText(/What are your opening hours\?/);
  await expect(page.locator('[data-sender="ai"]')).toContainText("Monday to Friday");
  await snap(page, "chat-standalone");
});

test("an empty message is refused in words and nothing is sent", async ({ page, ws }) => {
  await page.goto(ws.chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  await page.getByLabel("Message").fill("   ");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByRole("alert")).toHaveText("Message: is empty");
  await expect(page.locator('[data-sender="contact"]')).toHaveCount(0);
});

test("a widget naming an unknown channel says so clearly", async ({ page, ws }) => {
  await page.goto("/chat/no-such-channel");
  await expect(page.getByTestId("chat-unavailable")).toContainText("This chat is not available.");
  await expect(page.getByTestId("chat-unavailable")).toContainText("The chat channel \u201cno-such-channel\u201d was not found.");
});
