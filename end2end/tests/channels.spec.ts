import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { createHmac } from "node:crypto";
import { expect, hydrated, signIn, snap, test } from "./helpers";

/** Serves whatever `page()` says at the moment, on another port of this host (another origin). */
async function site(page: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(page());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

test("an admin creates a web channel whose chat only the sites it lists can show", async ({ page, context, ws }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  let snippet = "";
  const shop = await site(() => `<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1>${snippet}</body></html>`);
  const other = await site(() => `<!doctype html><html><head><title>Elsewhere</title></head><body><h1>Another site</h1>${snippet}</body></html>`);
  try {
    await signIn(page, ws.admin);
    await expect(page).toHaveURL(/\/inbox$/);
    await hydrated(page);
    await page.getByRole("link", { name: "Channels" }).click();
    await expect(page.getByRole("heading", { name: "Channels", exact: true })).toBeVisible();
    await expect(page.getByTestId("channel")).toHaveCount(1);

    // A bad site is refused in words; nothing is created.
    const form = page.getByTestId("channel-form");
    await form.getByLabel("Name", { exact: true }).fill("Shop website");
    await form.getByLabel("Sites allowed to show the chat").fill("shop.example/checkout");
    await form.getByRole("button", { name: "Create channel" }).click();
    await expect(page.getByTestId("channel-problem")).toContainText("is not a site's address");
    await expect(page.getByTestId("channel")).toHaveCount(1);

    await form.getByLabel("Sites allowed to show the chat").fill(shop.origin);
    await form.getByRole("button", { name: "Create channel" }).click();
    await expect(form.getByRole("status")).toHaveText("Saved \u201cShop website\u201d.");
    const card = page.getByTestId("channel").filter({ hasText: "Shop website" });
    await expect(card).toBeVisible();
    await expect(card.getByTestId("allowed-sites")).toContainText(shop.origin);
    await card.getByRole("button", { name: "Copy" }).click();
    await expect(card.getByRole("status")).toHaveText("Copied.");
    snippet = await card.getByTestId("embed-snippet").inputValue();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    expect(snippet).toMatch(/^<script src="http:\/\/[^"]+\/widget\.js" data-channel="shop-website-[0-9a-f]{6}" async><\/script>$/);
    await snap(page, "channels");

    // The shop's page shows the chat: a visitor writes and the assistant answers.
    const customer = await context.newPage();
    await customer.goto(shop.origin);
    await customer.getByRole("button", { name: "Chat with us" }).click();
    const chat = customer.frameLocator('iframe[title="Chat"]');
    await expect(chat.getByTestId("connection")).toHaveText("Connected");
    await chat.getByLabel("Message").fill("What are your opening hours?");
    await chat.getByRole("button", { name: "Send" }).click();
    await expect(chat.locator('[data-sender="ai"]')).toBeVisible();

    // Another site with the same tag gets no chat: the browser refuses to show it there.
    const stranger = await context.newPage();
    await stranger.goto(other.origin);
    await stranger.getByRole("button", { name: "Chat with us" }).click();
    await expect
      .poll(() => stranger.frames().find((f) => f !== stranger.mainFrame())?.url() ?? "")
      .toMatch(/^chrome-error:/);
    await expect(stranger.frameLocator('iframe[title="Chat"]').getByLabel("Message")).toHaveCount(0);

    // Turned off, the chat says so; it has a conversation, so it cannot be deleted.
    await card.getByRole("button", { name: "Turn off" }).click();
    await expect(card.getByTestId("channel-off")).toHaveText("Off");
    await expect(card.getByRole("button", { name: "Delete" })).toBeDisabled();
    await customer.reload();
    await customer.getByRole("button", { name: "Chat with us" }).click();
    await expect(customer.frameLocator('iframe[title="Chat"]').getByTestId("chat-unavailable")).toContainText("This chat is turned off for now.");
  } finally {
    shop.server.close();
    other.server.close();
  }
});

test("a signed-in customer of a site is recognised on a second browser, and a sign-out forgets them", async ({ page, browser, ws }) => {
  // The admin gives the channel an identity secret on the Channels page.
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await page.goto("/channels");
  await hydrated(page);
  const card = page.getByTestId("channel").first();
  await expect(card.getByTestId("identity-check")).toContainText("no identity secret yet");
  await card.getByRole("button", { name: "Edit" }).click();
  const form = page.getByTestId("channel-form");
  await form.getByRole("button", { name: "Generate" }).click();
  const secret = await form.getByLabel("Identity secret").inputValue();
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  await form.getByLabel("Require verified identities").check();
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(card.getByTestId("identity-check")).toContainText("only identities the site signs are accepted");
  const snippet = await card.getByTestId("embed-snippet").inputValue();
  await snap(page, "channels-identity");

  // The site signs its customer's id on its server and hands it to the widget.
  const hmac = createHmac("sha256", secret).update("cust-42").digest("hex");
  const shopPage = (signedIn: boolean) => `<!doctype html><html><head><title>Shop</title></head><body>
    <h1>Our shop</h1>
    <button id="sign-out" onclick="Switchboard.reset()">Sign out</button>
    ${snippet.replace("async>", `onload='${signedIn ? `Switchboard.identify({ id: "cust-42", name: "Ada Lovelace", email: "ada@example.com", attributes: { plan: "Pro", orders: 7 } }, "${hmac}")` : ""}'>`)}
  </body></html>`;
  let signedIn = true;
  const shop = await site(() => shopPage(signedIn));
  try {
    const laptop = await browser.newContext();
    const onLaptop = await laptop.newPage();
    await onLaptop.goto(shop.origin);
    await onLaptop.getByRole("button", { name: "Chat with us" }).click();
    const chat = onLaptop.frameLocator('iframe[title="Chat"]');
    await expect(chat.getByTestId("connection")).toHaveText("Connected");
    await chat.getByLabel("Message").fill("Where is my order 4471?");
    await chat.getByRole("button", { name: "Send" }).click();
    await expect(chat.locator('[data-sender="ai"]')).toBeVisible();

    // Another browser, the same customer signed in: the conversation is there.
    const phone = await browser.newContext();
    const onPhone = await phone.newPage();
    await onPhone.goto(shop.origin);
    await onPhone.getByRole("button", { name: "Chat with us" }).click();
    const phoneChat = onPhone.frameLocator('iframe[title="Chat"]');
    await expect(phoneChat.locator('[data-sender="contact"]')).toHaveText([/Where is my order 4471\?/]);
    await snap(onPhone, "widget-identified");

    // The customer signs out on the phone: the chat there starts afresh.
    await onPhone.getByRole("button", { name: "Sign out" }).click();
    await expect(phoneChat.locator('[data-sender="contact"]')).toHaveCount(0);
    await expect(phoneChat.getByTestId("connection")).toHaveText("Connected");

    // Someone whose site session is not signed: refused, and they see nothing of Ada's.
    signedIn = false;
    const other = await browser.newContext();
    const onOther = await other.newPage();
    await onOther.goto(shop.origin);
    await onOther.evaluate(() => (window as any).Switchboard.identify({ id: "cust-42", name: "Mallory" }, "00"));
    await onOther.getByRole("button", { name: "Chat with us" }).click();
    const otherChat = onOther.frameLocator('iframe[title="Chat"]');
    await expect(otherChat.getByTestId("identity-problem")).toContainText("could not be verified");
    await expect(otherChat.locator('[data-sender="contact"]')).toHaveCount(0);

    await laptop.close();
    await phone.close();
    await other.close();
  } finally {
    shop.server.close();
  }
});
