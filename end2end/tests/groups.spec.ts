import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin creates an operator group, staffs it, gives it a workflow, is told about a duplicate name, and deletes it", async ({ page, ws }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.goto("/people");
  await hydrated(page);

  await page.getByLabel("Group name").fill("Billing");
  await page.getByLabel("Description (optional)").fill("Invoices and refunds");
  await page.getByRole("button", { name: "Create operator group" }).click();
  const card = page.getByTestId("group-card").filter({ hasText: "Invoices and refunds" });
  await expect(card).toBeVisible();

  await card.getByTestId("add-member").selectOption({ label: "Ben Agent (Agent)" });
  await expect(card.getByRole("button", { name: "Remove Ben Agent" })).toBeVisible();
  await card.getByLabel("Support Assistant").check();
  await expect(card.getByLabel("Support Assistant")).toBeChecked();
  await page.reload();
  await hydrated(page);
  await expect(card.getByLabel("Support Assistant")).toBeChecked();
  await snap(page, "groups");

  await page.getByLabel("Group name").fill("Frontline");
  await page.getByRole("button", { name: "Create operator group" }).click();
  await expect(page.getByTestId("group-problem")).toHaveText("An operator group with that name already exists.");
  await expect(page.getByTestId("group-card")).toHaveCount(2);

  await card.getByRole("button", { name: "Delete" }).click();
  await expect(card).toHaveCount(0);
});

test("an agent sees the operator groups they are in on their account page", async ({ page, ws }) => {
  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.goto("/account");
  await hydrated(page);
  const groups = page.getByTestId("my-groups");
  await expect(groups).toContainText("Frontline");
  await expect(groups).toContainText("Workflows: Support Assistant");
  await snap(page, "account-groups");
});
