import { Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ASK_FOR_A_PERSON, expect, hydrated, openChat, say, signIn, snap, test } from "./helpers";

test("a supervisor's report matches what happened and exports as CSV", async ({ browser, page, ws }) => {
  // The scenario: three customers write; two ask for a person; one is taken and resolved.
  const scenario = [
    { messages: ASK_FOR_A_PERSON, escalates: true, handled: true },
    { messages: ["How do I reset my password?"], escalates: false, handled: false },
    { messages: ["I need a human", "a real person please", "agent please"], escalates: true, handled: false },
  ];
  const visitors: Page[] = [];
  for (const s of scenario) {
    const visitor = await (await browser.newContext()).newPage();
    visitors.push(visitor);
    await openChat(visitor, ws.chat);
    for (const text of s.messages) await say(visitor, text);
    if (s.escalates) await expect(visitor.locator('[data-sender="system"]').first()).toBeVisible();
    else await expect(visitor.locator('[data-sender="ai"]').first()).toBeVisible();
  }
  const agent = await (await browser.newContext()).newPage();
  await signIn(agent, ws.agent);
  await expect(agent).toHaveURL(/\/inbox$/);
  await hydrated(agent);
  await agent.getByTestId("conversation-row").filter({ hasText: "agent!" }).click();
  await agent.getByRole("button", { name: "Take over" }).click();
  await agent.getByLabel("Reply").fill("Ava here, on it.");
  await agent.getByLabel("Reply").press("Enter");
  await expect(agent.getByTestId("thread")).toContainText("Ava here, on it.");
  await agent.getByRole("button", { name: "Resolve" }).click();
  await expect(agent.getByTestId("conversation-status")).toHaveText("resolved");
  // The customer is asked how it went, and rates it.
  const rated = visitors[0];
  await expect(rated.getByText("How did we do?")).toBeVisible();
  await rated.getByRole("button", { name: "4 stars" }).click();
  await rated.getByLabel("Anything to add? (optional)").fill("Quick and kind");
  await rated.getByRole("button", { name: "Send rating" }).click();
  await expect(rated.getByTestId("rating-thanks")).toHaveText("Thank you for rating us ★★★★☆.");
  await snap(rated, "widget-rated");
  await expect(agent.getByTestId("thread")).toContainText("The customer rated this conversation ★★★★☆ (4/5): “Quick and kind”");

  // What the report must say, worked out from the scenario.
  const total = scenario.length;
  const escalated = scenario.filter((s) => s.escalates).length;
  const handled = scenario.filter((s) => s.handled).length;
  const pct = (n: number) => {
    const r = (n * 100) / total;
    return Math.abs(r - Math.round(r)) < 0.05 ? `${Math.round(r)}%` : `${r.toFixed(1)}%`;
  };

  await signIn(page, ws.supervisor);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
  await expect(page).toHaveURL(/\/reports$/);
  await hydrated(page);
  await expect(page.getByTestId("figure-conversations").getByTestId("value")).toHaveText(String(total));
  await expect(page.getByTestId("figure-escalated").getByTestId("value")).toHaveText(pct(escalated));
  await expect(page.getByTestId("figure-escalated")).toContainText(`${escalated} of ${total}`);
  await expect(page.getByTestId("figure-handled").getByTestId("value")).toHaveText(pct(handled));
  await expect(page.getByTestId("figure-first-reply").getByTestId("value")).not.toHaveText("—");
  await expect(page.getByTestId("figure-csat").getByTestId("value")).toHaveText("4.0 / 5");
  await expect(page.getByTestId("day-chart")).toBeVisible();
  await expect(page.getByTestId("breakdown-row").filter({ hasText: "Support Assistant" })).toContainText(String(total));
  await page.getByLabel("Break down by").selectOption("operator");
  await expect(page.getByTestId("breakdown-row")).toHaveCount(1);
  await expect(page.getByTestId("breakdown-row")).toContainText("Ava Agent");
  await snap(page, "reports");

  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const file = await (await download).path();
  const lines = readFileSync(file!, "utf8").trim().split("\r\n");
  expect(lines[0]).toContain("label,conversations,escalated");
  expect(lines.at(-1)).toMatch(new RegExp(`^Total,${total},${escalated},${((escalated * 100) / total).toFixed(1)},${handled},`));
});
