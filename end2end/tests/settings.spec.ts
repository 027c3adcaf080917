import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin reads the plan, is told in words what is wrong, then saves valid settings", async ({ page, ws }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await hydrated(page);
  const name = page.getByLabel("Workspace name");
  await expect(name).toHaveValue("Acme Support");
  // Seats and features come with the plan: shown, not editable here.
  const plan = page.getByTestId("plan-summary");
  await expect(plan).toContainText("Human agent seats");
  await expect(plan).toContainText("contact your account admin", { ignoreCase: true });
  await expect(page.getByLabel("Human agent seats")).toHaveCount(0);
  await snap(page, "settings");

  await name.fill("   ");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("alert")).toHaveText("Workspace name: must not be empty");

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Workspace name")).toHaveValue("Acme Support");
  await page.getByLabel("Default chat limit").fill("5");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("settings-saved")).toHaveText("Settings saved.");
  await page.reload();
  await expect(page.getByLabel("Default chat limit")).toHaveValue("5");
});
