// What the browser tests do with the web page's accounts: the sign-in panel, the header, People.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { attr } from './browser.js';

/** Opens the sign-in panel (if closed) and fills in the name and password. */
async function fillAccountForm(page: Page, name: string, password: string): Promise<void> {
  if (await page.locator('#account-panel').isHidden()) await page.locator('#account-toggle').click();
  await page.locator('#account-user').fill(name);
  await page.locator('#account-password').fill(password);
}

/** "Create account" with `name`, and waits until the header names the signed-in address. */
export async function signUp(page: Page, name: string, password: string, address: string): Promise<void> {
  await fillAccountForm(page, name, password);
  await page.locator('#register').click();
  await waitSignedIn(page, address);
}

/** "Sign in" (Enter in the form) with `name`, and waits until the header names the signed-in address. */
export async function signIn(page: Page, name: string, password: string, address: string): Promise<void> {
  await fillAccountForm(page, name, password);
  await page.locator('#account-password').press('Enter');
  await waitSignedIn(page, address);
}

/** Presses a button of the form after filling it in, and returns the refusal the panel then shows. */
export async function refusal(
  page: Page,
  button: 'register' | 'sign-in',
  name: string,
  password: string,
): Promise<string> {
  await fillAccountForm(page, name, password);
  await page.evaluate(() => {
    const { document } = globalThis as unknown as {
      document: { getElementById(id: string): { textContent: string | null } | null };
    };
    const error = document.getElementById('account-error');
    if (error) error.textContent = '';
  });
  await page.locator(`#${button}`).click();
  const error = page.locator('#account-error');
  await error.waitFor({ state: 'visible' });
  await expect.poll(() => error.textContent()).not.toBe('');
  return (await error.textContent()) ?? '';
}

export async function waitSignedIn(page: Page, address: string): Promise<void> {
  await page.waitForSelector(`#account-name:text-is(${attr(address)})`);
  await page.waitForSelector('#account-who:not([hidden])');
}

/** Waits until the header shows an anonymous page: "Sign in" offered, no name. */
export async function waitAnonymous(page: Page): Promise<void> {
  await page.waitForSelector('#account-toggle:not([hidden])');
  await page.waitForSelector('#account-who[hidden]', { state: 'attached' });
}

/** The People entry of `address`. */
export function person(page: Page, address: string) {
  return page.locator(`#people-list button[data-user=${attr(address)}]`);
}

/**
 * Presses People's Refresh until `address` is listed with presence `state` (`online`/`offline`), within
 * `timeout`: other nodes' users change on the page only when it asks the directory again.
 */
export async function waitForPresence(
  page: Page,
  address: string,
  state: 'online' | 'offline',
  timeout: number,
): Promise<void> {
  await expect
    .poll(
      async () => {
        const entry = person(page, address);
        if ((await entry.count()) === 1 && (await entry.getAttribute('data-presence')) === state)
          return state;
        await page.locator('#people-refresh').click();
        return (await entry.count()) === 1 ? await entry.getAttribute('data-presence') : 'not listed';
      },
      { timeout, interval: 500 },
    )
    .toBe(state);
}
