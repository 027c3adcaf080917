import { expect, Page } from "@playwright/test";

export const PASSWORD = "switchboard-demo";
export const OWNER = "owner@demo.switchboard.test";
export const ADMIN = "admin@demo.switchboard.test";
export const SUPERVISOR = "supervisor@demo.switchboard.test";
export const AGENT = "agent1@demo.switchboard.test";

/** Waits until the WASM has hydrated the page, so clicks reach Leptos' handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Saves a screenshot for people to look at (not compared by the tests). */
export async function snap(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png` });
}
