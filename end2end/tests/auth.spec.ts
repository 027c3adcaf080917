import { expect, hydrated, signIn, snap, test } from "./helpers";

test("the owner signs in and lands in the inbox with every section in the sidebar", async ({ page, ws }) => {
  await signIn(page, ws.owner);
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole("heading", { name: "Inbox", level: 1 })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const entry of ["Inbox", "Live", "People", "Settings"]) {
    await expect(nav.getByRole("link", { name: entry })).toBeVisible();
  }
  await expect(nav.getByRole("link", { name: "Inbox" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("workspace-name")).toHaveText("Acme Support");
  await expect(page.getByTestId("empty-state")).toContainText("No conversations yet");
  await snap(page, "inbox");
});

test("a wrong password shows a clear error and opens no session", async ({ page, context, ws }) => {
  await signIn(page, ws.owner, "not-the-password");
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an active account.");
  await expect(page).toHaveURL(/\/sign-in/);
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === "sb_session")).toBeUndefined();
  await snap(page, "sign-in-error");
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/sign-in\?reason=signed_out&next=\/inbox/);
});

test("signing out ends the session and the inbox asks to sign in again", async ({ page, ws }) => {
  await signIn(page, ws.supervisor);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await page.getByTestId("member-menu").locator("summary").click();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in\?reason=signed_out/);
  await expect(page.getByTestId("sign-in-notice")).toHaveText("You are signed out.");
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole("heading", { name: "Sign in to Switchboard" })).toBeVisible();
});

test("an agent sees no Settings entry and a direct URL to Settings is refused", async ({ page, ws }) => {
  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Inbox" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "People" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Live" })).toHaveCount(0);
  const response = await page.goto("/settings");
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toContainText("You do not have access to Settings");
  await expect(page.getByLabel("Workspace name")).toHaveCount(0);
  await snap(page, "settings-forbidden");
});

test("a supervisor sees the team, the permissions table and the live view, but not Settings", async ({ page, ws }) => {
  await signIn(page, ws.supervisor);
  await expect(page).toHaveURL(/\/inbox$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);
  await nav.getByRole("link", { name: "People" }).click();
  await expect(page).toHaveURL(/\/people$/);
  await expect(page.getByTestId("members-table")).toContainText("Ava Agent");
  await expect(page.getByTestId("permissions-table")).toContainText("operator:write");
  await expect(page.getByText("Frontline", { exact: true })).toBeVisible();
  await snap(page, "people");
  await nav.getByRole("link", { name: "Live" }).click();
  await expect(page).toHaveURL(/\/live$/);
  await expect(page.getByRole("table")).toContainText("Ben Agent");
  await snap(page, "live");
});

test("sign-in works from the keyboard alone and returns to the page asked for", async ({ page, ws }) => {
  await page.goto("/people");
  await expect(page).toHaveURL(/\/sign-in\?reason=signed_out&next=\/people/);
  await hydrated(page);
  await page.getByLabel("Email").focus();
  await page.keyboard.type(ws.admin);
  await page.keyboard.press("Tab");
  await page.keyboard.type("switchboard-demo");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/people$/);
  await expect(page.getByRole("heading", { name: "People", level: 1 })).toBeVisible();
});

test("an unknown address shows the not-found page", async ({ page, ws }) => {
  const response = await page.goto("/nowhere");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await snap(page, "not-found");
});

test("signing out everywhere ends the session in another browser too", async ({ browser, ws }) => {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const onLaptop = await laptop.newPage();
  const onPhone = await phone.newPage();
  for (const page of [onLaptop, onPhone]) {
    await signIn(page, ws.agent);
    await expect(page).toHaveURL(/\/inbox$/);
    await hydrated(page);
  }
  await onLaptop.getByTestId("member-menu").locator("summary").click();
  const everywhere = onLaptop.getByRole("button", { name: "Sign out everywhere" });
  await expect(everywhere).toBeVisible();
  await snap(onLaptop, "member-menu");
  await everywhere.click();
  await expect(onLaptop).toHaveURL(/\/sign-in\?reason=signed_out/);
  await expect(onLaptop.getByTestId("sign-in-notice")).toHaveText("You are signed out.");

  // The other browser's session is gone too: its open console goes to sign in by itself,
  // and opening a page again asks to sign in.
  await expect(onPhone).toHaveURL(/\/sign-in\?reason=/);
  await onPhone.goto("/inbox");
  await expect(onPhone).toHaveURL(/\/sign-in/);
  await laptop.close();
  await phone.close();
});
