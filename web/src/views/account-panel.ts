import type { AppState } from '../state.js';
import type { Ui } from './ui.js';

export interface AccountPanelActions {
  signIn(name: string, password: string): void;
  register(name: string, password: string): void;
  signOut(): void;
  /** Opens or closes the panel (the header's button, Cancel, Escape). */
  setOpen(open: boolean): void;
}

/**
 * The header's account corner (who is signed in, "Sign in" or "Sign out") and the sign-in panel: a form with
 * a name and a password, "Sign in" (Enter) and "Create account", and the node's refusal under it. Names and
 * notices are set as text.
 */
export class AccountPanel {
  #wasOpen = false;
  #wasSignedIn: boolean | undefined;

  constructor(
    private readonly ui: Ui,
    actions: AccountPanelActions,
  ) {
    const fields = (): [string, string] => [ui.accountUser.value, ui.accountPassword.value];
    ui.accountForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      actions.signIn(...fields());
    });
    ui.register.addEventListener('click', () => actions.register(...fields()));
    ui.accountToggle.addEventListener('click', () => actions.setOpen(ui.accountPanel.hidden !== false));
    ui.accountCancel.addEventListener('click', () => actions.setOpen(false));
    ui.signOut.addEventListener('click', () => actions.signOut());
    ui.accountPanel.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape') return;
      ev.preventDefault();
      ev.stopPropagation();
      actions.setOpen(false);
    });
  }

  render(state: AppState): void {
    const { ui } = this;
    const account = state.account;
    const me = account.me;
    ui.accountWho.hidden = me === undefined;
    ui.accountName.textContent = me ?? '';
    ui.accountToggle.hidden = account.signedIn;
    ui.signOut.hidden = !account.signedIn;
    ui.signOut.disabled = account.busy;
    ui.accountToggle.setAttribute('aria-expanded', account.panelOpen ? 'true' : 'false');
    document.body.dataset.signedIn = me === undefined ? 'false' : 'true';
    ui.accountNotice.hidden = account.notice === undefined;
    ui.accountNotice.textContent = account.notice ?? '';

    const open = account.panelOpen && !account.signedIn;
    ui.accountPanel.hidden = !open;
    ui.signIn.disabled = account.busy;
    ui.register.disabled = account.busy;
    ui.accountForm.setAttribute('aria-busy', account.busy ? 'true' : 'false');
    ui.accountError.hidden = account.error === undefined;
    ui.accountError.textContent = account.error ?? '';
    if (open && !this.#wasOpen) ui.accountUser.focus();
    // The control that took the keyboard (the panel's form, Sign out) is hidden now: focus goes to the one
    // in its place in the header, "Sign out" once signed in, "Sign in" once out, so it is not lost to the page.
    const signedInChanged = this.#wasSignedIn !== undefined && this.#wasSignedIn !== account.signedIn;
    if (!open && this.#wasOpen) {
      ui.accountPassword.value = '';
      (account.signedIn ? ui.signOut : ui.accountToggle).focus();
    } else if (signedInChanged && !open && focusLost(ui)) {
      (account.signedIn ? ui.signOut : ui.accountToggle).focus();
    }
    this.#wasOpen = open;
    this.#wasSignedIn = account.signedIn;
  }
}

/** Nothing has the keyboard, or a header control that is hidden or disabled now (it drops the focus). */
function focusLost(ui: Ui): boolean {
  const active = document.activeElement;
  return active === null || active === document.body || active === ui.signOut || active === ui.accountToggle;
}
