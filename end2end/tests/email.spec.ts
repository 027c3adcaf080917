import { randomBytes } from "node:crypto";
import { eml, header, MailSink } from "./fake-mail";
import { expect, signedInAt, snap, test } from "./helpers";

test("an e-mail is answered by the assistant, then by an operator, and the reply threads in the customer's mail", async ({ browser, ws }) => {
  const sink = await MailSink.start();
  try {
    const { context: adminContext, page: admin } = await signedInAt(browser, ws.admin, "/channels");
    const form = admin.getByTestId("channel-form");
    await form.getByLabel("E-mail", { exact: true }).check();
    await expect(form.getByRole("heading", { name: "New e-mail channel" })).toBeVisible();
    await form.getByLabel("Name", { exact: true }).fill("Support mail");
    await form.getByLabel("Colour").fill("#9333ea");
    await form.getByLabel("Address", { exact: true }).fill("support@acme.example");
    await form.getByLabel("Sender name").fill("Acme Support");
    await form.getByLabel("SMTP server").fill("127.0.0.1");
    await form.getByLabel("Port", { exact: true }).fill(String(sink.port));
    await form.getByLabel("Security", { exact: true }).selectOption("none");
    // Without an ingest secret the channel is refused in words.
    await form.getByRole("button", { name: "Create channel" }).click();
    await expect(admin.getByTestId("channel-problem")).toContainText("Ingest secret");
    await form.getByRole("button", { name: "Generate" }).click();
    const secret = await form.getByLabel("Ingest secret").inputValue();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await form.getByRole("button", { name: "Create channel" }).click();
    await expect(form.getByRole("status")).toHaveText("Saved \u201cSupport mail\u201d.");
    const card = admin.getByTestId("channel").filter({ hasText: "Support mail" });
    await expect(card.getByTestId("email-settings")).toContainText("support@acme.example");
    await expect(card).not.toContainText(secret);
    const ingest = await card.getByTestId("email-ingest-url").inputValue();
    expect(ingest).toMatch(/\/ingest\/email\/support-mail-[0-9a-f]{6}$/);
    await snap(admin, "channels-email");

    const post = (raw: string, key = secret) =>
      fetch(ingest, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "message/rfc822" }, body: raw });
    const marker = "invoice-" + randomBytes(3).toString("hex");
    const ada = `ada.${marker}@customer.example`;
    expect((await post(eml(ada, "support@acme.example", "Hello", "x@customer.example", "hi"), "wrong-secret")).status).toBe(401);
    // An e-mail over 25 MB is refused whole.
    const huge = eml(ada, "support@acme.example", "Huge", "huge@customer.example", "x".repeat(26 * 1024 * 1024));
    expect((await post(huge)).status).toBe(413);
    const first = `${marker}-1@customer.example`;
    expect((await post(eml(`Ada <${ada}>`, "support@acme.example", `Question about ${marker}`, first, "How do I reset my password?"))).status).toBe(202);

    // The assistant answers by e-mail, in the thread.
    await expect.poll(() => sink.to(ada).length).toBe(1);
    const answer = sink.to(ada)[0];
    expect(header(answer, "Subject")).toBe(`Re: Question about ${marker}`);
    expect(header(answer, "In-Reply-To")).toBe(`<${first}>`);
    const answerId = header(answer, "Message-ID")!;

    // Ada answers the answer, asking for a person.
    for (const [i, text] of ["I need a human", "a real person please", "agent"].entries()) {
      const raw = eml(ada, "support@acme.example", `Re: Question about ${marker}`, `${marker}-r${i}@customer.example`, `${text}\r\n\r\nOn Monday, Acme Support wrote:\r\n> earlier answer`, `In-Reply-To: ${answerId}\r\nReferences: <${first}> ${answerId}\r\n`);
      expect((await post(raw)).status).toBe(202);
    }

    const { context: opContext, page: op } = await signedInAt(browser, ws.agent, "/inbox");
    await op.getByLabel("Search conversations").fill(marker);
    const row = op.getByTestId("conversation-row");
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId("channel-chip")).toHaveText("email");
    await row.click();
    await expect(op.getByTestId("conversation-subject")).toHaveText(`Question about ${marker}`);
    const thread = op.getByTestId("thread");
    await expect(thread).toContainText("a real person please");
    await expect(thread).not.toContainText("earlier answer");
    await expect(thread).not.toContainText("Huge");
    await expect(op.getByTestId("conversation-row")).toHaveCount(1);
    await op.getByRole("button", { name: "Take over" }).click();
    await op.getByLabel("Reply").fill("Hi Ada, this is Ava. I have sent you a reset link.");
    await op.getByLabel("Reply").press("Enter");

    await expect.poll(() => sink.to(ada).filter((m) => m.data.includes("I have sent you a reset link")).length).toBe(1);
    const reply = sink.to(ada).find((m) => m.data.includes("I have sent you a reset link"))!;
    expect(header(reply, "In-Reply-To")).toBe(`<${marker}-r2@customer.example>`);
    expect(header(reply, "References")).toContain(`<${first}>`);
    expect(header(reply, "Subject")).toBe(`Re: Question about ${marker}`);
    expect(header(reply, "Reply-To")).toMatch(/^support\+c-\d+-[0-9a-f]{16}@acme\.example$/);
    expect(header(reply, "Auto-Submitted")).toBeUndefined();
    const mine = op.locator('[data-sender="operator"]').filter({ hasText: "reset link" });
    await expect(mine.getByTestId("delivery")).toHaveAttribute("data-status", "sent");
    await snap(op, "conversation-email");

    await op.getByRole("button", { name: "Resolve" }).click();
    await opContext.close();
    await adminContext.close();
  } finally {
    sink.close();
  }
});
