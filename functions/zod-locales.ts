// zod's namespace re-exports its error messages in every language (`z.locales`, about 370 KB of
// the bundle, parsed at every isolate start). The Worker speaks English only: wrangler.toml's
// [alias] puts this module where zod imports its locale index.
export { default as en } from 'zod/v4/locales/en.js';
