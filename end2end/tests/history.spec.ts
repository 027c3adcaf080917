import { ASK_FOR_A_PERSON, expect, hydrated, openChat, say, signIn, snap, test } from "./helpers";

test("a supervisor finds a takeover in the history with how it ended", async ({ browser, page, ws }) => {
  // A customer asks for a person; the agent takes over and resolves.
  const chat = await (await browser.newContext()).newPage();
  await openChat(chat, ws.chat);
  for (const text of ASK_FOR_A_PERSON) await say(chat, text);
  const agent = await (await browser.newContext()).newPage();
  await signIn(agent, ws.agent);
  await expect(agent).toHaveURL(/\/inbox$/);
  await hydrated(agent);
  await agent.getByTestId("conversation-row").filter({ hasText: "agent!" }).click();
  await agent.getByRole("button", { name: "Take over" }).click();
  await expect(agent.getByTestId("conversation-status")).toHaveText("active");
  await agent.getByRole("button", { name: "Resolve" }).click();
  await expect(agent.getByTestId("conversation-status")).toHaveText("resolved");
  await expect(agent.getByTestId("resolved-by")).toContainText("by Ava Agent");

  await signIn(page, ws.supervisor);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }).click();
  await expect(page).toHaveURL(/\/history$/);
  await hydrated(page);
  const row = page.getByTestId("history-row").first();
  await expect(row).toContainText("Ava Agent");
  await expect(row.getByTestId("outcome")).toHaveText("Completed");
  await snap(page, "history");

  await page.getByLabel("Outcome").selectOption("transferred");
  await expect(page.getByText("Nothing here yet")).toBeVisible();
  await page.getByLabel("Outcome").selectOption("completed");
  await expect(page.getByTestId("history-row")).toHaveCount(1);
  await page.getByTestId("history-row").getByRole("link").click();
  await expect(page).toHaveURL(/\/inbox\/\d+$/);
});
