import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin makes an API token, sees it once, uses it, and revokes it", async ({ page, ws, request }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await hydrated(page);
  await expect(page.getByTestId("empty-state")).toContainText("No API tokens yet");

  // A name is required; the problem is said in words and nothing is made.
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("token-problem")).toHaveText("Token name: must be 1 to 80 characters");

  await page.getByLabel("Token name").fill("CRM sync");
  await page.getByLabel(/^operator:write/).check();
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token");
  await expect(shown).toContainText("Token “CRM sync” created");
  const token = await page.getByLabel("The token, to copy").inputValue();
  expect(token).toMatch(/^sb_[0-9a-f]{64}$/);
  const row = page.getByTestId("token-row").filter({ hasText: "CRM sync" });
  await expect(row).toContainText(`${token.slice(0, 9)}…`);
  await expect(row).toContainText("operator:read");
  await expect(row).toContainText("operator:write");
  await expect(row).toContainText("Never");
  await snap(page, "integrations");

  // The token works against the API, as the admin it acts as.
  const auth = { Authorization: `Bearer ${token}` };
  const listed = await request.get("/api/v1/conversations", { headers: auth });
  expect(listed.status()).toBe(200);
  expect(await listed.json()).toHaveProperty("conversations");

  // Shown once: after a reload only its beginning is listed, and it was used.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(row).not.toContainText("Never");

  await row.getByRole("button", { name: "Revoke CRM sync" }).click();
  await expect(row).toContainText("Revoked");
  const refused = await request.get("/api/v1/conversations", { headers: auth });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["content-type"]).toBe("application/problem+json");
});

test("the API reference lists every operation and an agent cannot reach the tokens page", async ({ page, ws }) => {
  await page.goto("/api/v1/docs");
  await expect(page.getByRole("heading", { name: "Switchboard API reference" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Conversations", exact: true })).toBeVisible();
  await expect(page.getByTestId("operation").filter({ hasText: "/conversations/{id}/handoff" })).toContainText(
    "Hand a conversation to people",
  );
  await snap(page, "api-docs");

  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" })).toHaveCount(0);
  await page.goto("/integrations");
  await expect(page.getByTestId("forbidden")).toBeVisible();
});
