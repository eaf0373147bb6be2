// Real hashes, made by Werkzeug 3 `generate_password_hash("correct horse battery", ...)`, at the
// work factors imported users carry. Verifying them takes seconds in the test runtime, so the
// tests that do live in this (slow) project; test/auth/passwords.test.ts reuses the strings for
// checks that never derive a key.

/** The password behind every hash here. */
export const PASSWORD = "correct horse battery";

/** Werkzeug `pbkdf2:sha256:600000`, above WebCrypto's production cap: verified in pure JS. */
export const WERKZEUG_PBKDF2 = "pbkdf2:sha256:600000$0SYvwv3zGegPE07q$6c81eb247f8b4162781bc8afb0a7c8d2d30236af83651ee4d2a06f3c342bcadd";

/** Werkzeug `scrypt:32768:8:1`. */
export const WERKZEUG_SCRYPT =
  "scrypt:32768:8:1$FjG9LJ2Eo4i3eyxl$d383debe7d29ba69067f8270f62e7f1fe32aaf76575fe0b4f5e5bd55f92e59f7e1cb40ebecab5f54a69baeb091411fa64e3da22f30f2fa7d51003a6da244abc9";
