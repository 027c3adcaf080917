import { expect, hydrated, signIn, signedInAt, snap, switchboard, test } from "./helpers";

test("an instance administrator changes a workspace's plan, which its admin then reads", async ({ page, browser, ws }) => {
  // A workspace admin has no Plans page.
  const { page: admin } = await signedInAt(browser, ws.admin, "/inbox");
  await expect(admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plans" })).toHaveCount(0);
  const refused = await admin.goto("/plans");
  expect(refused?.status()).toBe(403);
  await expect(admin.getByTestId("forbidden")).toContainText("You do not have access to Plans");

  // The operator of the server makes this workspace's owner an instance administrator.
  expect(switchboard("instance-admin", "--email", ws.owner)).toContain("is an instance administrator");
  await signIn(page, ws.owner);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plans" }).click();
  await expect(page).toHaveURL(/\/plans$/);
  await hydrated(page);
  const card = page.getByTestId("plan-card").filter({ hasText: "Your workspace" });
  await expect(card).toHaveCount(1);
  await card.getByLabel("Plan name").fill("Growth");
  await card.getByLabel("Human agent seats").fill("2");
  await card.getByLabel("Account managers handle chats").check();
  // Presence without operators is refused in words, and nothing is saved.
  await card.getByLabel("Operators", { exact: true }).uncheck();
  await card.getByRole("button", { name: "Save plan" }).click();
  await expect(card.getByRole("alert")).toHaveText("Live presence: requires the Operators feature to be enabled first");
  await card.getByLabel("Operators", { exact: true }).check();
  await card.getByRole("button", { name: "Save plan" }).click();
  await expect(card.getByRole("status")).toHaveText("Plan saved.");
  await expect(card).toContainText("0 of 2 seats in use");
  await snap(page, "plans");

  // The workspace's admin sees the new plan in Settings, and the account managers' column
  // of the permissions table says what the plan allows.
  await admin.goto("/settings");
  await hydrated(admin);
  const plan = admin.getByTestId("plan-summary");
  await expect(plan).toContainText("Growth");
  await expect(plan.getByText("Human agent seats").locator("..")).toContainText("2");
  await expect(plan.getByText("Account managers handle chats").locator("..")).toContainText("On");
  await snap(admin, "settings-plan");
  await admin.goto("/people");
  await hydrated(admin);
  await expect(admin.getByText("This workspace's plan lets account managers handle chats")).toBeVisible();
});

test("a member's alert preferences follow them to another browser", async ({ page, browser, ws }) => {
  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.goto("/account");
  await hydrated(page);
  const prefs = page.getByTestId("alert-preferences");
  await expect(prefs.getByLabel("Sound")).toBeChecked();
  await expect(prefs.getByLabel("E-mail digest when away")).not.toBeChecked();
  await prefs.getByLabel("Sound").uncheck();
  await prefs.getByLabel("E-mail digest when away").check();
  await snap(page, "account-alerts");

  // Another browser, signed in afresh, has them: on the account page and in the member menu.
  const { page: other } = await signedInAt(browser, ws.agent, "/account");
  const theirs = other.getByTestId("alert-preferences");
  await expect(theirs.getByLabel("Sound")).not.toBeChecked();
  await expect(theirs.getByLabel("E-mail digest when away")).toBeChecked();
  await other.getByTestId("member-menu").locator("summary").click();
  await expect(other.getByLabel("Play a sound for new conversations and messages")).not.toBeChecked();
});
