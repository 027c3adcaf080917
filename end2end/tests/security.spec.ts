import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { expect, hydrated, signIn, snap, test } from "./helpers";

/** A page that opens Switchboard's operator socket and writes what happened on <body>. */
function probePage(socketUrl: string): string {
  return `<!doctype html><html><head><title>Another site</title></head><body>
<h1>Win a prize</h1>
<script>
  const ws = new WebSocket(${JSON.stringify(socketUrl)});
  ws.onopen = () => { document.body.dataset.socket = "opened"; ws.close(); };
  ws.onclose = () => { document.body.dataset.socket ??= "refused"; };
</script></body></html>`;
}

/** Serves one page on another port of this host: the same site as Switchboard, another origin. */
async function serveElsewhere(html: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(html);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

test("a page on another origin cannot open a signed-in operator's socket", async ({ page, baseURL, ws }) => {
  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  const socketUrl = new URL("/ws/operator", baseURL).toString().replace(/^http/, "ws");

  // The console's own page opens it (the operator's session cookie goes with it)...
  const fromConsole = await page.evaluate(
    (url) =>
      new Promise<string>((done) => {
        const ws = new WebSocket(url);
        ws.onopen = () => {
          done("opened");
          ws.close();
        };
        ws.onclose = () => done("refused");
      }),
    socketUrl,
  );
  expect(fromConsole).toBe("opened");

  // ...a page elsewhere, in the same browser with the same cookie, is refused.
  const { server, url } = await serveElsewhere(probePage(socketUrl));
  try {
    await page.goto(url);
    await expect(page.locator("body")).toHaveAttribute("data-socket", "refused");
  } finally {
    server.close();
  }
});

test("a visitor who sends faster than the chat accepts is told the message was not sent", async ({ page, ws }) => {
  await page.goto(ws.chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  const box = page.getByLabel("Message");
  const refused = page.getByTestId("pending").getByRole("alert");
  const sending = page.locator('[data-testid="pending"]:not(:has([role="alert"]))');
  // The default allowance is 30 messages a minute, all at once, coming back one every 2 s:
  // send one after another until the chat refuses one.
  let sent = 0;
  while ((await refused.count()) === 0 && sent < 80) {
    sent += 1;
    await box.fill(`Question number ${sent}`);
    await page.getByRole("button", { name: "Send" }).click();
    await expect(sending).toHaveCount(0);
  }
  expect(sent).toBeGreaterThan(30);
  await expect(refused).toHaveText(
    /^Not sent: You are sending messages faster than this chat accepts them\. Try again in \d+ seconds?\.$/,
  );
  await expect(page.locator('[data-sender="contact"]')).toHaveCount(sent - 1);
  await expect(page.getByTestId("pending")).toContainText(`Question number ${sent}`);
  await snap(page, "chat-too-fast");
});

test("a chat whose kept token the server refuses starts over as a new visitor", async ({ page, ws }) => {
  const key = ws.chat.split("/").pop()!;
  await page.goto(ws.chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  const first = await page.evaluate((k) => localStorage.getItem(`switchboard.visitor.${k}`), key);
  expect(first).toMatch(/^v2\./);
  // A token from another server's key (or an expired one) is what the browser kept.
  const refused = first!.replace(/^v2\.[0-9a-f]{8}\./, "v2.00000000.");
  await page.evaluate(([k, t]) => localStorage.setItem(`switchboard.visitor.${k}`, t), [key, refused]);
  await page.reload();
  await hydrated(page);
  // The refused token is dropped first, then the new visitor's is kept: wait for the latter.
  const kept = () => page.evaluate((k) => localStorage.getItem(`switchboard.visitor.${k}`), key);
  await expect.poll(async () => {
    const token = await kept();
    return token !== null && token !== refused && /^v2\./.test(token);
  }).toBe(true);
  await page.getByLabel("Message").fill("Hello, what are your opening hours?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator('[data-sender="contact"]')).toContainText("opening hours");
  await expect(page.locator('[data-sender="ai"]').first()).toBeVisible();
});
