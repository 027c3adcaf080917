import { ASK_FOR_A_PERSON, expect, hydrated, openChat, say, signIn, snap, test } from "./helpers";

test("an operator snoozes a conversation until the customer writes, and it comes back when they do", async ({ browser, page, ws }) => {
  const chat = await (await browser.newContext()).newPage();
  await openChat(chat, ws.chat);
  for (const text of ASK_FOR_A_PERSON) await say(chat, text);

  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await page.getByTestId("inbox-view").filter({ hasText: "All" }).click();
  const row = page.getByTestId("conversation-row").filter({ hasText: "agent!" });
  await row.click();
  await page.getByRole("button", { name: "Take over" }).click();
  await expect(page.getByTestId("conversation-status")).toHaveText("active");
  await page.getByRole("button", { name: "Snooze" }).click();
  await page.getByRole("menuitem", { name: "Until the customer writes" }).click();
  await expect(page.getByTestId("snoozed")).toHaveText("Snoozed until the customer writes");
  await expect(page.getByTestId("thread")).toContainText("snoozed the conversation until the customer writes");
  // Out of the list, in Snoozed.
  await expect(row).toHaveCount(0);
  await page.getByTestId("inbox-view").filter({ hasText: "Snoozed" }).click();
  await expect(page.getByTestId("conversation-row").filter({ hasText: "agent!" })).toBeVisible();
  await snap(page, "inbox-snoozed");

  // The customer writes: it leaves Snoozed and is back in All, live.
  await chat.getByLabel("Message").fill("Hello again, any news?");
  await chat.getByLabel("Message").press("Enter");
  await expect(page.getByTestId("conversation-row").filter({ hasText: "any news" })).toHaveCount(0);
  await page.getByTestId("inbox-view").filter({ hasText: "All" }).click();
  await expect(page.getByTestId("conversation-row").filter({ hasText: "Hello again, any news?" })).toBeVisible();
  await expect(page.getByTestId("snoozed")).toHaveCount(0);
});
