import { Page } from "@playwright/test";
import { expect, hydrated, signIn, snap, test } from "./helpers";

/** Records the WASM files a page (and its frames) fetches, by path. */
function wasmFetched(page: Page): string[] {
  const files: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) files.push(path);
  });
  return files;
}

const group = (files: string[], name: string) => files.filter((file) => file.includes(`split_${name}_page`));

test("the widget on a customer's site fetches the chat's code and none of the console's", async ({ page, ws }) => {
  const files = wasmFetched(page);
  await page.goto("/demo-site.html");
  await page.getByRole("button", { name: "Chat with us" }).click();
  const chat = page.frameLocator('iframe[title="Chat"]');
  await expect(chat.getByTestId("connection")).toHaveText("Connected");

  expect(group(files, "visitor")).toHaveLength(1);
  expect(group(files, "console")).toEqual([]);
  expect(group(files, "admin")).toEqual([]);

  // Code keeps its file names between releases: browsers revalidate it rather than trust a copy.
  for (const path of ["/widget.js", "/pkg/switchboard.wasm", group(files, "visitor")[0]]) {
    const response = await page.request.get(path);
    expect(response.ok()).toBe(true);
    expect(response.headers()["cache-control"]).toBe("no-cache");
    // An unchanged file is not sent again.
    const again = await page.request.get(path, { headers: { "if-modified-since": response.headers()["last-modified"] } });
    expect(again.status()).toBe(304);
  }
});

test("the console fetches the administration's code only when an administration page is opened", async ({ page, ws }) => {
  const files = wasmFetched(page);
  await signIn(page, ws.admin);
  await expect(page).toHaveURL(/\/inbox$/);
  await hydrated(page);
  await expect(page.getByTestId("inbox-connection")).toHaveText("Live");
  expect(group(files, "console")).toHaveLength(1);
  expect(group(files, "admin")).toEqual([]);
  expect(group(files, "visitor")).toEqual([]);

  // On a slow connection the page's code takes a while: the person sees that it is coming.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/split_admin_page[^/]*\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "People" }).click();
  await expect(page.getByRole("progressbar", { name: "Opening the page" })).toBeVisible();
  await snap(page, "opening-a-page");
  release();
  await expect(page).toHaveURL(/\/people$/);
  await expect(page.getByRole("progressbar", { name: "Opening the page" })).toHaveCount(0);
  await expect(page.getByTestId("invite")).toBeVisible();
  expect(group(files, "admin")).toHaveLength(1);
  // The console's own code was not fetched a second time.
  expect(group(files, "console")).toHaveLength(1);
});
