import { expect, test } from "@playwright/test";
import { hydrated, signIn, snap, switchboard } from "./helpers";

// These specs make their own workspace with `create-owner`, as an operator would on the
// server, and a reset link with `reset-password`.
function newOwner(name: string, password: string): string {
  const email = `${name.toLowerCase().replace(/\W+/g, ".")}.${Date.now()}@accounts.example`;
  switchboard("create-owner", "--workspace", `${name}'s team`, "--email", email, "--name", name, "--password", password);
  return email;
}

test("a locked-out owner gets a reset link on the server and chooses a new password", async ({ page }) => {
  const email = newOwner("Rita Reset", "long since forgotten");

  // She has forgotten it; this Switchboard sends no e-mail, and the page says what to do.
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a reset link" }).click();
  await expect(page.getByTestId("reset-requested")).toContainText("switchboard reset-password --email");
  await snap(page, "forgot-password");

  const printed = switchboard("reset-password", "--email", email);
  expect(printed).toContain(`Rita Reset <${email}>`);
  const link = new URL(printed.trim().split("\n").pop()!);
  await page.goto(link.pathname);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  await page.getByLabel("New password (at least 10 characters)").fill("remembered at last");
  await page.getByLabel("The same password again").fill("remembered differently");
  await page.getByRole("button", { name: "Save and sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Password: the two passwords differ");
  await page.getByLabel("The same password again").fill("remembered at last");
  await snap(page, "reset-password");
  await page.getByRole("button", { name: "Save and sign in" }).click();
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await expect(page.getByTestId("member-menu")).toContainText("Rita Reset");

  // The link worked once.
  await page.goto(link.pathname);
  await expect(page.getByTestId("reset-problem")).toContainText("This link cannot be used.");
});

test("a member changes their password on their account page", async ({ browser, page }) => {
  const email = newOwner("Carl Change", "first password here");
  // Signed in on another device too, which the change signs out.
  const other = await browser.newContext();
  const onPhone = await other.newPage();
  await signIn(onPhone, email, "first password here");
  await expect(onPhone).toHaveURL(/\/inbox$/);
  await hydrated(onPhone);

  await signIn(page, email, "first password here");
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await page.getByTestId("member-menu").locator("summary").click();
  await page.getByRole("link", { name: "Your account and password" }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByTestId("member-menu")).not.toHaveAttribute("open");
  await expect(page.getByTestId("account-details")).toContainText(email);

  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password (at least 10 characters)").fill("second password here");
  await page.getByLabel("The new password again").fill("second password here");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert")).toHaveText("Current password: is not your password");

  await page.getByLabel("Current password").fill("first password here");
  await page.getByLabel("New password (at least 10 characters)").fill("second password here");
  await page.getByLabel("The new password again").fill("second password here");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toHaveText(
    "Your password was changed. Other devices were signed out.",
  );
  await expect(page.getByLabel("Current password")).toHaveValue("");
  await snap(page, "account");

  // This device stays signed in; the other one is signed out, and its open console goes to
  // the sign-in page by itself.
  await page.goto("/inbox");
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(onPhone).toHaveURL(/\/sign-in\?reason=signed_out&next=%2Finbox$/);
  await expect(onPhone.getByTestId("sign-in-notice")).toHaveText("You are signed out.");
  await signIn(onPhone, email, "second password here");
  await expect(onPhone).toHaveURL(/\/inbox$/);
  await other.close();
});
