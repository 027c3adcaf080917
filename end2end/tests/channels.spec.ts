import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
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
    await form.getByLabel("Name").fill("Shop website");
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
