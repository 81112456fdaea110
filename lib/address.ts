/** The form an email address is compared in: imports, signups and suppressions all use it. */
export const normalizeAddress = (email: string) => email.trim().toLowerCase();
