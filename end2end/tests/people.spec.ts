import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin invites a member who joins through the link, then deactivates them, and it is all in the audit log", async ({ page, browser, ws }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "People" }).click();
  await expect(page).toHaveURL(/\/people$/);
  await hydrated(page);

  await page.getByTestId("invite").locator("summary").click();
  const invite = page.getByTestId("invite");
  await invite.getByLabel("Name").fill("Nora New");
  await invite.getByLabel("Email").fill("nora@example.com");
  await invite.getByLabel("Role", { exact: true }).selectOption("support_agent");
  await page.getByRole("button", { name: "Create invitation" }).click();
  const link = page.getByTestId("invite-link");
  await expect(link).toHaveValue(/\/invite\/[0-9a-f]{64}$/);
  const url = await link.inputValue();
  const row = page.getByTestId("member-row").filter({ hasText: "nora@example.com" });
  await expect(row.getByTestId("member-state")).toHaveText("Invited");
  await snap(page, "people-admin");

  const newcomer = await (await browser.newContext()).newPage();
  await newcomer.goto(url);
  await hydrated(newcomer);
  await expect(newcomer.getByRole("heading", { name: "Join Acme Support on Switchboard" })).toBeVisible();
  await newcomer.getByLabel("Password (at least 10 characters)").fill("nora-password-1");
  await newcomer.getByLabel("The same password again").fill("nora-password-1");
  await newcomer.getByRole("button", { name: "Join and sign in" }).click();
  await expect(newcomer).toHaveURL(/\/inbox$/);
  await expect(newcomer.getByText("Nora New")).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(row.getByTestId("member-state")).toHaveText("Active");
  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(row.getByTestId("member-state")).toHaveText("Deactivated");

  // The used link no longer works.
  await newcomer.goto(url);
  await expect(newcomer.getByTestId("invite-problem")).toContainText("This invitation (it may have been used already) was not found.");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByTestId("audit-table")).toContainText("member.deactivated");
  await expect(page.getByTestId("audit-table")).toContainText("member.invited");
  await hydrated(page);
  await page.getByLabel("Show").selectOption("member.invited");
  await expect(page.getByTestId("audit-table")).not.toContainText("member.deactivated");
  await snap(page, "audit-log");
});

test("an admin cannot take ownership away and is told why", async ({ page, ws }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.goto("/people");
  await hydrated(page);
  const owner = page.getByTestId("member-row").filter({ hasText: ws.owner });
  await owner.getByTestId("role-select").selectOption("agent");
  await expect(page.getByTestId("people-problem")).toHaveText("You do not have permission to grant or take away the Owner role (only owners can).");
  await page.reload();
  await expect(owner.getByTestId("role-select")).toHaveValue("owner");
});
