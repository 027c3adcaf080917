import { randomBytes } from "node:crypto";
import { ACCOUNT, FakeTwilio, NUMBER, TOKEN } from "./fake-twilio";
import { expect, signedInAt, snap, test } from "./helpers";

test("a customer texts, an operator answers by SMS, Twilio reports delivery, and STOP blocks replies", async ({ browser, ws }) => {
  const twilio = await FakeTwilio.start();
  try {
    // An admin creates the SMS channel.
    const { context: adminContext, page: admin } = await signedInAt(browser, ws.admin, "/channels");
    const form = admin.getByTestId("channel-form");
    await form.getByLabel("SMS (Twilio)").check();
    await expect(form.getByRole("heading", { name: "New SMS channel" })).toBeVisible();
    await form.getByLabel("Name", { exact: true }).fill("Support line");
    await form.getByLabel("Colour").fill("#16a34a");
    await form.getByLabel("Account SID").fill(ACCOUNT);
    await form.getByLabel("Twilio number or Messaging Service SID").fill(NUMBER);
    // Without the auth token, the channel is refused in words.
    await form.getByLabel("Twilio API address").fill(twilio.base);
    await form.getByRole("button", { name: "Create channel" }).click();
    await expect(admin.getByTestId("channel-problem")).toContainText("Auth token");
    await form.getByLabel("Auth token").fill(TOKEN);
    await form.getByRole("button", { name: "Create channel" }).click();
    await expect(form.getByRole("status")).toHaveText("Saved \u201cSupport line\u201d.");
    const card = admin.getByTestId("channel").filter({ hasText: "Support line" });
    await expect(card.getByTestId("sms-settings")).toContainText(NUMBER);
    await expect(card).not.toContainText(TOKEN);
    const inbound = await card.getByTestId("sms-inbound-url").inputValue();
    expect(inbound).toMatch(/\/webhooks\/twilio\/support-line-[0-9a-f]{6}\/inbound$/);
    await snap(admin, "channels-sms");

    // A forged text is refused; the customer's real texts reach the inbox.
    const customer = "+1415555" + String(1000 + (randomBytes(2).readUInt16BE() % 9000));
    const marker = "parcel-" + randomBytes(3).toString("hex");
    expect((await twilio.text(inbound, customer, `forged ${marker}`, "not-the-token-0000000000000000")).status).toBe(403);
    const firstSid = "SM" + randomBytes(16).toString("hex");
    for (const [i, text] of [`I need a human about my ${marker}`, "a real person please", "agent"].entries()) {
      expect((await twilio.text(inbound, customer, text, TOKEN, i === 0 ? firstSid : undefined)).status).toBe(200);
    }
    // Twilio delivering the first text again stores nothing new.
    expect((await twilio.text(inbound, customer, `I need a human about my ${marker}`, TOKEN, firstSid)).status).toBe(200);

    const { context: opContext, page: op } = await signedInAt(browser, ws.agent, "/inbox");
    await op.getByLabel("Search conversations").fill(marker);
    const row = op.getByTestId("conversation-row");
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId("channel-chip")).toHaveText("sms");
    await expect(row.getByTestId("channel-chip")).toHaveAttribute("style", /background:#16a34a/);
    await row.click();
    await expect(op.getByTestId("thread")).toContainText(`I need a human about my ${marker}`);
    await expect(op.getByTestId("thread")).not.toContainText("forged");
    await expect(op.locator('[data-sender="contact"]').filter({ hasText: `I need a human about my ${marker}` })).toHaveCount(1);
    await op.getByRole("button", { name: "Take over" }).click();
    await op.getByLabel("Reply").fill("Hi, this is Ava. Let me look at your parcel.");
    await op.getByLabel("Reply").press("Enter");

    // Twilio receives the reply for the customer's number; its reports move the tick.
    await expect.poll(() => twilio.sent.filter((s) => s.fields.get("Body") === "Hi, this is Ava. Let me look at your parcel.").length).toBe(1);
    const reply = twilio.sent.find((s) => s.fields.get("Body") === "Hi, this is Ava. Let me look at your parcel.")!;
    expect(reply.fields.get("To")).toBe(customer);
    expect(reply.fields.get("From")).toBe(NUMBER);
    const mine = op.locator('[data-sender="operator"]').filter({ hasText: "Let me look at your parcel" });
    await expect(mine.getByTestId("delivery")).toHaveAttribute("data-status", "accepted");
    expect((await twilio.report(reply, "sent")).status).toBe(204);
    expect((await twilio.report(reply, "delivered")).status).toBe(204);
    await expect(mine.getByTestId("delivery")).toHaveAttribute("data-status", "delivered");
    await expect(mine.getByTestId("delivery")).toHaveAttribute("title", "Delivered");
    // A late report does not take it back.
    expect((await twilio.report(reply, "sent")).status).toBe(204);
    await snap(op, "conversation-sms");

    // The customer texts STOP: the composer says why replies cannot go, notes still can.
    await twilio.text(inbound, customer, "STOP");
    await expect(op.getByTestId("reply-blocked")).toContainText("texted STOP");
    await expect(op.getByRole("button", { name: "Send" })).toBeDisabled();
    await expect(mine.getByTestId("delivery")).toHaveAttribute("data-status", "delivered");
    await op.getByRole("tab", { name: "Note" }).click();
    await expect(op.getByTestId("reply-blocked")).toHaveCount(0);
    await op.getByLabel("Note for your team").fill("Opted out of texts");
    await op.getByLabel("Note for your team").press("Enter");
    await expect(op.locator('[data-sender="internal"]')).toContainText("Opted out of texts");
    await op.getByRole("tab", { name: "Reply" }).click();
    await snap(op, "conversation-sms-stopped");
    await twilio.text(inbound, customer, "START");
    await expect(op.getByTestId("reply-blocked")).toHaveCount(0);
    await expect(op.getByRole("button", { name: "Send" })).toBeEnabled();

    await op.getByRole("button", { name: "Resolve" }).click();
    await opContext.close();
    await adminContext.close();
  } finally {
    twilio.close();
  }
});
