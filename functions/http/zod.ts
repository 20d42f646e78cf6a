import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// Schemas use zod/mini (about 40 KB bundled) rather than zod's classic API (about 760 KB): every
// kilobyte of script is parsed when an isolate starts. Importing this module once loads the English
// messages for every schema. (Re-exporting the `z` namespace from here would defeat tree-shaking.)
z.config(en());
