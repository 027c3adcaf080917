import { Page } from "@playwright/test";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { ASK_FOR_A_PERSON, expect, goLive, hydrated, openChat, say, signIn, snap, test } from "./helpers";

async function openWorkflow(page: Page, email: string) {
  await signIn(page, email);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.goto("/workflows");
  await page.getByRole("link", { name: "Support Assistant" }).click();
  await expect(page).toHaveURL(/\/workflows\?id=\d+$/);
  await hydrated(page);
}

test("a trigger phrase hands a customer over at once, and a silent handoff tells them nothing", async ({ page, browser, ws }) => {
  await openWorkflow(page, ws.admin);
  const triggers = page.getByLabel("Handoff triggers");
  await triggers.fill("cancel, cancelling, close my account -> Frontline");
  // The test box judges the settings as typed, before they are saved.
  const sample = page.getByLabel("Try a customer's message");
  await sample.fill("I'm cancelling my plan");
  await expect(page.getByTestId("handoff-verdict")).toHaveText("Hands over to the group Frontline (trigger “cancelling”).");
  await sample.fill("agent please");
  await expect(page.getByTestId("handoff-verdict")).toHaveText("The assistant answers; request 1 of 3 for a person is counted.");
  await sample.fill("What is the cancellation fee?");
  await expect(page.getByTestId("handoff-verdict")).toHaveText("The assistant answers.");
  await triggers.fill("cancelling -> Nobody");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await expect(page.getByRole("alert")).toContainText("there is no operator group named “Nobody”");
  await triggers.fill("cancel, cancelling, close my account -> Frontline");
  await sample.fill("I'm cancelling my plan");
  await page.getByLabel(/^Silent handoff/).check();
  await snap(page, "workflow-handoff-rules");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await expect(page.getByTestId("workflow-saved")).toHaveText("Workflow saved.");

  const agent = await (await browser.newContext()).newPage();
  await signIn(agent, ws.agent);
  await expect(agent).toHaveURL(/\/inbox$/);
  await hydrated(agent);
  await expect(agent.getByTestId("inbox-connection")).toHaveText("Live");

  const chat = await (await browser.newContext()).newPage();
  await openChat(chat, ws.chat);
  await say(chat, "I'm cancelling my plan");
  // At once: the team sees it waiting for a person.
  const row = agent.getByTestId("conversation-row").filter({ hasText: "I'm cancelling my plan" });
  await expect(row.getByTestId("status")).toHaveText("waiting");
  await row.click();
  await expect(agent.getByTestId("thread")).toContainText("one of this workflow's handoff triggers");
  await agent.getByRole("button", { name: "Take over" }).click();
  await expect(agent.getByTestId("conversation-status")).toHaveText("active");
  await agent.getByLabel("Reply").fill("Hi, Ava here. Sorry to see you go!");
  await agent.getByLabel("Reply").press("Enter");
  // The customer sees the person's reply, and no notice came before it.
  await expect(chat.locator('[data-sender="operator"]').filter({ hasText: "Sorry to see you go" })).toBeVisible();
  await expect(chat.locator('[data-sender="system"]')).toHaveCount(0);
  await expect(chat.locator('[data-sender="ai"]')).toHaveCount(0);
});

/** An OpenAI-compatible model on loopback that always hands over to the Frontline group. */
async function modelAskingForAPerson() {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          id: "chatcmpl-e2e",
          object: "chat.completion",
          choices: [
            {
              index: 0,
              finish_reason: "tool_calls",
              message: {
                role: "assistant",
                content: null,
                tool_calls: [
                  {
                    id: "call_1",
                    type: "function",
                    function: { name: "request_human", arguments: JSON.stringify({ reason: "a billing dispute", group: "Frontline" }) },
                  },
                ],
              },
            },
          ],
        }),
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => server.close() };
}

test("the assistant's model hands a conversation to the group it names", async ({ page, browser, ws }) => {
  const model = await modelAskingForAPerson();
  try {
    await openWorkflow(page, ws.admin);
    await page.getByLabel("AI provider").selectOption("openai");
    await page.getByLabel("API base URL").fill(model.base);
    await page.getByLabel("Model", { exact: true }).fill("e2e-model");
    await page.getByRole("button", { name: "Save workflow" }).click();
    await expect(page.getByTestId("workflow-saved")).toHaveText("Workflow saved.");

    const chat = await (await browser.newContext()).newPage();
    await openChat(chat, ws.chat);
    await say(chat, "You charged me twice last month");
    await expect(chat.locator('[data-sender="system"]').first()).toHaveText("A human agent will be with you shortly.");

    const agent = await (await browser.newContext()).newPage();
    await signIn(agent, ws.agent);
    await expect(agent).toHaveURL(/\/inbox$/);
    await hydrated(agent);
    const row = agent.getByTestId("conversation-row").filter({ hasText: "You charged me twice last month" });
    await expect(row.getByTestId("status")).toHaveText("waiting");
    await row.click();
    await expect(agent.getByTestId("thread")).toContainText("The assistant asked for a person: a billing dispute");
    await expect(agent.getByTestId("thread")).toContainText("It is offered to the group Frontline.");
  } finally {
    model.close();
  }
});

test("an operator who leaves the customer unanswered loses the conversation to a colleague", async ({ page, browser, ws }) => {
  test.setTimeout(90_000);
  await openWorkflow(page, ws.admin);
  await page.getByLabel(/^Offer to someone else/).fill("0.1");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await expect(page.getByTestId("workflow-saved")).toHaveText("Workflow saved.");
  await expect(page.getByLabel(/^Offer to someone else/)).toHaveValue("0.1");

  const [ava, ben] = [await (await browser.newContext()).newPage(), await (await browser.newContext()).newPage()];
  await goLive(ava, ws.agent);
  await goLive(ben, ws.agent2);
  const chat = await (await browser.newContext()).newPage();
  await openChat(chat, ws.chat);
  for (const text of ASK_FOR_A_PERSON) await say(chat, text);
  await expect
    .poll(async () => (await ava.getByTestId("offer").count()) + (await ben.getByTestId("offer").count()))
    .toBe(1);
  const [first, second] = (await ava.getByTestId("offer").count()) > 0 ? [ava, ben] : [ben, ava];
  await first.getByTestId("offer").getByRole("button", { name: "Accept" }).click();
  await expect(chat.locator('[data-sender="system"]').last()).toHaveText(/joined the conversation\./);
  await say(chat, "Hello? Anyone?");
  // Six seconds without an answer: the colleague is offered it, and the thread says why.
  await expect(second.getByTestId("offer")).toBeVisible({ timeout: 30_000 });
  await second.getByTestId("offer").getByRole("button", { name: "Accept" }).click();
  await expect(second).toHaveURL(/\/inbox\/\d+/);
  await expect(second.getByTestId("thread")).toContainText("had not answered the customer for 6 seconds");
  await snap(second, "reassigned-after-silence");
});

test("a supervisor is alerted when a customer waits with nobody live", async ({ page, browser, ws }) => {
  await openWorkflow(page, ws.admin);
  await page.getByLabel(/^Alert supervisors/).fill("0.05");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await expect(page.getByTestId("workflow-saved")).toHaveText("Workflow saved.");

  const supervisor = await (await browser.newContext()).newPage();
  await signIn(supervisor, ws.supervisor);
  await expect(supervisor).toHaveURL(/\/inbox$/);
  await hydrated(supervisor);
  await expect(supervisor.getByTestId("inbox-connection")).toHaveText("Live");

  const chat = await (await browser.newContext()).newPage();
  await openChat(chat, ws.chat);
  for (const text of ASK_FOR_A_PERSON) await say(chat, text);
  const alert = supervisor.getByTestId("waiting-alert");
  await expect(alert).toContainText("has waited on Support Assistant with nobody live.");
  await snap(supervisor, "waiting-alert");
  await alert.getByRole("link", { name: "Open it" }).click();
  await expect(supervisor).toHaveURL(/\/inbox\/\d+$/);
  await expect(supervisor.getByTestId("thread")).toContainText("agent!");
  await expect(supervisor.getByTestId("waiting-alert")).toHaveCount(0);
});
