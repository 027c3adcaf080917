import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin teaches the assistant a new answer and changes the handoff settings; the widget uses them", async ({ page, browser, ws }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await expect(page).toHaveURL(/\/workflows$/);
  await page.getByRole("link", { name: "Support Assistant" }).click();
  await expect(page).toHaveURL(/\/workflows\?id=\d+$/);
  await hydrated(page);

  await page.getByLabel("Question").fill("Do you ship to Norway?");
  await page.getByLabel("Answer", { exact: true }).fill("Yes, in 3 to 5 working days.");
  await page.getByRole("button", { name: "Add answer" }).click();
  await expect(page.getByTestId("answers")).toContainText("Yes, in 3 to 5 working days.");

  const handoff = page.getByLabel("Handoff message");
  const message = await handoff.inputValue();
  await handoff.fill("   ");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await expect(page.getByRole("alert")).toContainText("Handoff message: must not be empty");
  await handoff.fill(message);
  await page.getByLabel("API key").fill("sk-typed-here");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await expect(page.getByTestId("workflow-saved")).toHaveText("Workflow saved.");
  await expect(page.getByLabel("API key")).toHaveValue("");
  await expect(page.getByLabel("API key")).toHaveAttribute("placeholder", "A key is stored; type to replace it");
  await snap(page, "workflows");

  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(ws.chat);
  await hydrated(visitor);
  await expect(visitor.getByTestId("connection")).toHaveText("Connected");
  await visitor.getByLabel("Message").fill("Can you ship to Norway?");
  await visitor.getByLabel("Message").press("Enter");
  await expect(visitor.locator('[data-sender="ai"]')).toHaveText(/Yes, in 3 to 5 working days\./);
});
