import { Page } from "@playwright/test";
import { expect, goLive, hydrated, signIn, snap, test } from "./helpers";


async function escalate(page: Page, chat: string, n: number) {
  await page.goto(chat);
  await hydrated(page);
  await expect(page.getByTestId("connection")).toHaveText("Connected");
  const box = page.getByLabel("Message");
  for (const [i, text] of ["I need a human", "a real person please", "agent"].entries()) {
    await box.fill(`${text} (${n}.${i})`);
    await box.press("Enter");
    await expect(page.locator('[data-sender="contact"]').filter({ hasText: `(${n}.${i})` })).toBeVisible();
  }
  await expect(page.locator('[data-sender="system"]').first()).toHaveText("A human agent will be with you shortly.");
}

test("two live operators share three escalations least-loaded first, and the supervisor sees it live", async ({ browser, ws }) => {
  // Six browser contexts (a supervisor, two operators, three visitors) each load and hydrate
  // the debug build: on a busy 2-core machine that alone has taken 25–30 s.
  test.setTimeout(90_000);
  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await signIn(supervisor, ws.supervisor);
  await expect(supervisor).toHaveURL(/\/inbox$/);
  await supervisor.goto("/live");
  await hydrated(supervisor);

  const contexts = [await browser.newContext(), await browser.newContext()];
  const [ava, ben] = [await contexts[0].newPage(), await contexts[1].newPage()];
  await goLive(ava, ws.agent);
  await goLive(ben, ws.agent2);
  const row = (name: string) => supervisor.getByTestId("operator-row").filter({ hasText: name });
  await expect(row("Ava Agent").getByTestId("operator-status")).toHaveText("Online");
  await expect(row("Ben Agent").getByTestId("operator-status")).toHaveText("Online");

  for (let n = 1; n <= 3; n++) {
    // Each visitor is someone else: their own browser, their own token.
    const visitorContext = await browser.newContext();
    const visitor = await visitorContext.newPage();
    await escalate(visitor, ws.chat, n);
    // Whoever is offered it accepts.
    await expect
      .poll(async () => (await ava.getByTestId("offer").count()) + (await ben.getByTestId("offer").count()))
      .toBe(1);
    const holder = (await ava.getByTestId("offer").count()) > 0 ? ava : ben;
    await holder.getByTestId("offer").getByRole("button", { name: "Accept" }).click();
    await expect(holder).toHaveURL(/\/inbox\/\d+/);
    await expect(visitor.locator('[data-sender="system"]').last()).toHaveText(/joined the conversation\./);
    await visitorContext.close();
  }
  // Least loaded first: the loads end 2 and 1, never 3 and 0.
  const loads = [await row("Ava Agent").getByTestId("operator-load").textContent(), await row("Ben Agent").getByTestId("operator-load").textContent()];
  await expect(supervisor.getByTestId("sessions-table").locator("tbody tr")).toHaveCount(3);
  const counts = loads.map((l) => Number((l ?? "0").split("/")[0].trim())).sort();
  expect(counts).toEqual([1, 2]);
  await snap(supervisor, "live-board");
  await snap(ava, "operator-live");

  await ben.getByTestId("status-select").selectOption("away");
  await expect(row("Ben Agent").getByTestId("operator-status")).toHaveText("Away");

  for (const c of [...contexts, supervisorContext]) await c.close();
});
