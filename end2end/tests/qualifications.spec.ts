import { expect, hydrated, signIn, snap, test } from "./helpers";

test("an operator practises with the scripted customer, submits, and a supervisor grants the qualification", async ({ page, browser, ws }) => {
  await signIn(page, ws.agent);
  await expect(page).toHaveURL(/\/inbox$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Qualifications" }).click();
  await expect(page).toHaveURL(/\/qualifications$/);
  await hydrated(page);
  const card = page.getByTestId("my-qualification").filter({ hasText: "Support Assistant" });
  await expect(card.getByTestId("qualification-state")).toHaveText("Not practised yet");
  await snap(page, "qualifications-operator");

  await card.getByRole("button", { name: "Start practising" }).click();
  await expect(page).toHaveURL(/\/qualifications\/\d+$/);
  await hydrated(page);
  await expect(page.getByText("Practice sandbox")).toBeVisible();
  const customer = page.locator('[data-testid="practice-message"][data-sender="customer"]');
  await expect(customer).toHaveCount(1);
  await expect(customer.first()).toContainText("charged twice");

  // A blank answer is refused in words; nothing is sent.
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("practice-problem")).toHaveText("Message: is empty");

  const answers = [
    "I'm sorry about that! I'll look into it right away.",
    "Of course, I'm a person. Could you tell me the order number?",
    "Thanks. I've refunded the duplicate charge.",
    "It usually takes 3 to 5 working days to reach your card.",
  ];
  for (const [i, answer] of answers.entries()) {
    await page.getByLabel("Your answer").fill(answer);
    await page.getByLabel("Your answer").press("Enter");
    await expect(page.locator('[data-testid="practice-message"][data-sender="operator"]')).toHaveCount(i + 1);
  }
  await expect(customer).toHaveCount(4);
  await snap(page, "practice-run");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByTestId("practice-status")).toHaveText("Waiting for review");

  const reviewer = await (await browser.newContext()).newPage();
  await signIn(reviewer, ws.supervisor);
  await expect(reviewer).toHaveURL(/\/inbox$/);
  await reviewer.goto("/qualifications");
  await hydrated(reviewer);
  const waiting = reviewer.getByTestId("to-review").getByRole("listitem").filter({ hasText: "Ava Agent" });
  await expect(waiting).toContainText("Support Assistant");
  await waiting.getByRole("link", { name: "Review" }).click();
  await expect(reviewer).toHaveURL(/\/qualifications\/\d+$/);
  await hydrated(reviewer);
  await expect(reviewer.getByTestId("practice-thread")).toContainText("refunded the duplicate charge");
  await reviewer.getByLabel(/Note for the operator/).fill("Warm and clear.");
  await snap(reviewer, "practice-review");
  await reviewer.getByRole("button", { name: "Grant qualification" }).click();
  await expect(reviewer.getByTestId("practice-status")).toHaveText("Granted");

  await reviewer.goto("/qualifications");
  await hydrated(reviewer);
  await expect(reviewer.getByTestId("grant-row").filter({ hasText: "Ava Agent" })).toContainText("Support Assistant");
  await snap(reviewer, "qualifications-reviewer");

  await page.goto("/qualifications");
  await hydrated(page);
  await expect(card.getByTestId("qualification-state")).toHaveText(/^Qualified since /);
});
