/**
 * The key prompt: when the gateway refuses a call (401/403) the page says why in words and shows
 * the key form; a key entered there is kept (key-store.ts) and the page loads again. With no keys
 * configured (a loopback gateway) nothing is ever refused and the form stays hidden.
 */
import { byId } from './dom.js';
import type { KeyRefusedError } from './errors.js';
import type { KeyStore } from './key-store.js';

const HOW = 'An operator creates one with `seamless keys create NAME --scope read` (docs/dashboard.md).';

export interface AuthUi {
  /** Shows why the gateway refused the call, once, and the key form. */
  refused(error: KeyRefusedError): void;
  /** Whether calls are on hold until the user enters a key. */
  readonly blocked: boolean;
}

export function messageFor(error: KeyRefusedError): { reason: string; text: string } {
  if (error.status === 403) {
    return { reason: 'scope', text: `The key was accepted but may not read this: ${error.gatewayMessage}. Enter a key with scope read. ${HOW}` };
  }
  if (!error.hadKey) {
    return { reason: 'key-required', text: `This gateway needs an API key: enter a key with scope read below. ${HOW}` };
  }
  return { reason: 'key-refused', text: `The key was refused (401: ${error.gatewayMessage}): check it or enter another key with scope read below. ${HOW}` };
}

export function createAuthUi(keys: KeyStore, onKey: () => void): AuthUi {
  const message = byId('auth-message');
  const form = byId<HTMLFormElement>('key-form');
  const input = byId<HTMLInputElement>('key-input');
  const remember = byId<HTMLInputElement>('key-remember');
  let blocked = false;

  byId('key-button').addEventListener('click', () => {
    form.hidden = !form.hidden;
    if (!form.hidden) input.focus();
  });
  byId('key-forget').addEventListener('click', () => {
    keys.clear();
    input.value = '';
    onKey();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') {
      input.setCustomValidity('enter the API key');
      input.reportValidity();
      return;
    }
    input.setCustomValidity('');
    keys.set(key, remember.checked);
    input.value = '';
    blocked = false;
    message.hidden = true;
    form.hidden = true;
    onKey();
  });

  return {
    get blocked() { return blocked; },
    refused(error) {
      blocked = true;
      const { reason, text } = messageFor(error);
      message.textContent = text;
      message.dataset.reason = reason;
      message.hidden = false;
      form.hidden = false;
      byId('gateway-status').textContent = reason === 'scope' ? 'key lacks a scope' : 'API key needed';
    },
  };
}
