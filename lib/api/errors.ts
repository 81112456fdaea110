/**
 * The REST API's error codes: every error answer is `{"error":{"code":…,"message":…,"field":…}}`,
 * the code machine-readable and stable, the message for people (docs/rest-api.md). Each code has
 * one HTTP status. Pure, so the OpenAPI document and the request proxy share it with the routes.
 */
export const API_ERROR_STATUS = {
  /** The body, a query parameter or the path is not what the endpoint takes; `field` names it. */
  validation_failed: 400,
  /** No secret key, or one that is unknown or revoked. */
  unauthorized: 401,
  /** A form post to one of the app's pages from a foreign Origin (the request guard, proxy.ts; no /api/v1 endpoint). */
  forbidden: 403,
  /** The contact, flow, broadcast or tag named does not exist in this workspace. */
  not_found: 404,
  /** The change collides with what is stored (an address that is already a contact, or was erased; a broadcast whose status does not allow the move). */
  conflict: 409,
  /** A form post to one of the app's pages over its size limit (the request guard, proxy.ts; no /api/v1 endpoint). */
  payload_too_large: 413,
  /** Something broke on our side. */
  internal: 500,
  /** The database cannot be reached: retry after the Retry-After seconds. */
  unavailable: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;
export type ApiErrorStatus = (typeof API_ERROR_STATUS)[ApiErrorCode];

export const API_ERROR_CODES = Object.keys(API_ERROR_STATUS) as ApiErrorCode[];

/** The code of an error status (each status has exactly one; the unit test holds it so). */
export function apiErrorCodeOf(status: ApiErrorStatus): ApiErrorCode {
  return API_ERROR_CODES.find((c) => API_ERROR_STATUS[c] === status)!;
}
