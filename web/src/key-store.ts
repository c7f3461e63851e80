/**
 * Where the page keeps the API key the user typed: localStorage when asked to remember it,
 * sessionStorage otherwise (gone with the tab). Only this module touches either.
 */
const KEY = 'seamless.apiKey';

export interface KeyStore {
  get(): string | undefined;
  set(key: string, remember: boolean): void;
  clear(): void;
}

export function createKeyStore(): KeyStore {
  return {
    get: () => sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY) ?? undefined,
    set(key, remember) {
      sessionStorage.removeItem(KEY);
      localStorage.removeItem(KEY);
      (remember ? localStorage : sessionStorage).setItem(KEY, key);
    },
    clear() {
      sessionStorage.removeItem(KEY);
      localStorage.removeItem(KEY);
    },
  };
}
