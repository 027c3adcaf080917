import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an admin makes an API token, sees it once, uses it, and revokes it", async ({ page, ws, request }) => {
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await hydrated(page);
  await expect(page.getByText("No API tokens yet")).toBeVisible();

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
  await expect(row).toContainText("never used");
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
  await expect(row).toContainText("last used");

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

/** An endpoint on loopback that answers with `answers` in turn (then 200) and keeps what it
 * got, checking each signature as the README says to. */
async function endpoint(answers: number[]) {
  const { createServer } = await import("node:http");
  const { createHmac } = await import("node:crypto");
  const got: { event: string; signed: boolean; body: any }[] = [];
  const secret = { value: "" };
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const expected = createHmac("sha256", secret.value)
        .update(`${req.headers["switchboard-timestamp"]}.${text}`)
        .digest("hex");
      got.push({
        event: String(req.headers["switchboard-event"]),
        signed: req.headers["switchboard-signature"] === `v1=${expected}`,
        body: JSON.parse(text),
      });
      res.statusCode = answers.shift() ?? 200;
      res.end("thanks");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address() as import("node:net").AddressInfo;
  return { url: `http://127.0.0.1:${address.port}/hooks`, got, secret, close: () => server.close() };
}

test("an admin adds a webhook, sends a test event that fails once and is retried, and sees the log", async ({ page, ws }) => {
  const hook = await endpoint([500]);
  try {
    await signIn(page, ws.admin);
    await expect(page).toHaveURL(/\/inbox$/);
    await page.goto("/integrations");
    await hydrated(page);
    await expect(page.getByText("No webhooks yet")).toBeVisible();

    // The URL and at least one event are needed, said in words.
    await page.getByLabel("Endpoint URL").fill("not a url");
    await page.getByRole("button", { name: "Add webhook" }).click();
    await expect(page.getByTestId("webhook-problem")).toHaveText("URL: is not a web address");

    await page.getByLabel("Endpoint URL").fill(hook.url);
    await page.getByLabel(/^message\.created/).check();
    await page.getByLabel(/^conversation\.resolved/).check();
    await page.getByRole("button", { name: "Add webhook" }).click();
    const item = page.getByTestId("webhook-item").filter({ hasText: hook.url });
    await expect(item).toContainText("message.created");
    await expect(item).toContainText("conversation.resolved");
    await expect(item).toContainText("On");
    await item.getByRole("button", { name: "Show signing secret" }).click();
    hook.secret.value = (await item.getByTestId("webhook-secret").textContent()) ?? "";
    expect(hook.secret.value).toMatch(/^whsec_[0-9a-f]{64}$/);

    // A test event: the endpoint answers 500 first; Switchboard retries and the log shows it.
    await item.getByRole("button", { name: "Send test event" }).click();
    const row = item.getByTestId("delivery-row").filter({ hasText: "ping" });
    await expect(row).toContainText("Delivered");
    await expect(row).toContainText("HTTP 200");
    await expect(row.getByRole("cell").nth(3)).toHaveText("2");
    expect(hook.got.map((g) => g.event)).toEqual(["ping", "ping"]);
    expect(hook.got.every((g) => g.signed)).toBe(true);
    await snap(page, "webhooks");

    // Turned off, then deleted.
    await item.getByRole("button", { name: "Turn off" }).click();
    await expect(item).toContainText("Off");
    await expect(item.getByRole("button", { name: "Send test event" })).toBeDisabled();
    await item.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("No webhooks yet")).toBeVisible();
  } finally {
    hook.close();
  }
});
