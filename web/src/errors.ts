/**
 * The page's errors: each names what failed and what the user can do. `KeyRefusedError` is a
 * 401 or 403 of the gateway (the message says whether the key was missing, refused or lacks a
 * scope); `ApiError` any other refusal, with the gateway's stable error code.
 */
export class KeyRefusedError extends Error {
  constructor(readonly status: number, readonly hadKey: boolean, readonly gatewayMessage: string) {
    super(`${status}: ${gatewayMessage}`);
    this.name = 'KeyRefusedError';
  }
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly path: string) {
    super(`${path}: ${status} ${code}: ${message}`);
    this.name = 'ApiError';
  }
}
