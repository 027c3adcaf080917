import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin is told why presence cannot be on without operators, then saves valid settings", async ({ page, ws }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await hydrated(page);
  const name = page.getByLabel("Workspace name");
  await expect(name).toHaveValue("Acme Support");
  await snap(page, "settings");

  await page.getByLabel(/^Operators/).uncheck();
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("alert")).toHaveText("Live presence: requires the Operators feature to be enabled first");

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel(/^Operators/)).toBeChecked();

  await page.getByLabel("Default chat limit").fill("5");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("settings-saved")).toHaveText("Settings saved.");
  await page.reload();
  await expect(page.getByLabel("Default chat limit")).toHaveValue("5");
});
