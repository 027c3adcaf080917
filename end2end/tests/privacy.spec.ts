import { randomBytes } from "node:crypto";
import { expect, hydrated, signedInAt, snap, test } from "./helpers";

test("an admin exports a customer's data and erases it once their conversation is resolved", async ({ browser, ws }) => {
  // A visitor who asks for a person, in a browser of their own.
  const marker = "erase-" + randomBytes(3).toString("hex");
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  await visitor.goto(ws.chat);
  await hydrated(visitor);
  await expect(visitor.getByTestId("connection")).toHaveText("Connected");
  const box = visitor.getByLabel("Message");
  for (const [i, text] of [`I need a human, my address is 12 Elm Street ${marker}`, "a real person please", "agent"].entries()) {
    await box.fill(text);
    await box.press("Enter");
    await expect(visitor.locator('[data-sender="contact"]')).toHaveCount(i + 1);
  }
  await expect(visitor.locator('[data-sender="system"]').first()).toHaveText("A human agent will be with you shortly.");

  const { context, page } = await signedInAt(browser, ws.admin, "/inbox");
  await page.getByLabel("Search conversations").fill(marker);
  const row = page.getByTestId("conversation-row");
  await expect(row).toHaveCount(1);
  await row.click();
  await expect(page.getByTestId("thread")).toContainText("12 Elm Street");
  const privacy = page.getByTestId("privacy");

  // Not while the conversation is open: said in words, nothing erased.
  await privacy.getByRole("button", { name: "Erase their data…" }).click();
  const dialog = privacy.getByRole("alertdialog");
  await expect(dialog).toContainText("cannot be undone");
  await snap(page, "privacy-erase");
  await dialog.getByRole("button", { name: "Erase for good" }).click();
  await expect(page.getByTestId("privacy-problem")).toContainText("not resolved yet");
  await dialog.getByRole("button", { name: "Cancel" }).click();

  // The export is the customer's data as a JSON file.
  const href = await privacy.getByRole("link", { name: "Export their data (JSON)" }).getAttribute("href");
  const exported = await page.request.get(href!);
  expect(exported.status()).toBe(200);
  expect(exported.headers()["content-disposition"]).toMatch(/^attachment/);
  const data = await exported.json();
  expect(JSON.stringify(data.conversations[0].messages)).toContain("12 Elm Street");

  await page.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByTestId("conversation-status")).toHaveText("resolved");
  await privacy.getByRole("button", { name: "Erase their data…" }).click();
  await privacy.getByRole("alertdialog").getByRole("button", { name: "Erase for good" }).click();
  await expect(page).toHaveURL(/\/inbox(\?|$)/);
  await expect(page.getByTestId("conversation-row")).toHaveCount(0);
  expect((await page.request.get(href!)).status()).toBe(404);

  await context.close();
  await visitorContext.close();
});
