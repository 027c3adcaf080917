import { expect, hydrated, relaySockets, test } from "./helpers";

test("a chat whose socket falls behind is closed, reconnects and resumes with nothing lost or doubled", async ({ page, ws }) => {
  // The chat's socket goes through the test: the first connection stops passing what the server
  // sends (a socket that cannot keep up), then is closed as the server closes a slow socket.
  const relay = await relaySockets(page, /\/ws\/visitor$/);

  await page.goto(ws.chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  const box = page.getByLabel("Message");
  await box.fill("What are your opening hours?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator('[data-sender="ai"]')).toHaveCount(1);

  // Nothing the server sends reaches the chat any more: the next message stays "Sending…".
  relay.holding = true;
  await box.fill("And on public holidays?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("pending")).toContainText("And on public holidays?");
  await expect(page.getByTestId("pending")).toContainText("Sending…");

  // Closed as a slow socket is: the chat reconnects by itself and resumes where it was.
  await relay.dropFirst(1012, "fell behind; reconnect and resume");
  await expect.poll(() => relay.connections).toBeGreaterThan(1);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  await expect(page.getByTestId("pending")).toHaveCount(0);
  await expect(page.locator('[data-sender="contact"]')).toHaveText([
    /What are your opening hours\?/,
    /And on public holidays\?/,
  ]);
  await expect(page.locator('[data-sender="ai"]')).toHaveCount(2);
});
